"""OCDS release packages: every release type the portal makes validates against the official OCDS 1.1.5 schemas,
releases come out the same each time, and winners are named only where the company agreed and the coordinator
chose to publish names."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from tests.ocds.helpers import CANCEL_REASON, COMPANIES, cancelled, choose, decided

Validate = Callable[[dict[str, Any]], None]


def _package(client: TestClient, slug: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/ocds/{slug}")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def _by_id(package: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {release["id"]: release for release in package["releases"]}


def test_every_release_type_validates_against_the_ocds_schemas(
    client: TestClient, session: Session, clock: FrozenClock, validate_package: Validate
) -> None:
    s = decided(session, clock)
    other = cancelled(session, clock)
    story, stopped = _package(client, s.challenge.slug), _package(client, other.slug)
    validate_package(story)
    validate_package(stopped)
    ocid = f"ocds-xxxxxx-{s.challenge.id}"
    assert [(r["id"].removeprefix(ocid + "-"), r["tag"]) for r in story["releases"]] == [
        ("tender", ["tender"]),
        ("v2", ["tenderAmendment"]),
        ("nota-1", ["tenderAmendment"]),
        ("decisions-brief", ["award"]),
        (f"publication-{story['releases'][-1]['id'].rsplit('-', 1)[1]}", ["awardUpdate"]),
    ]
    assert {r["ocid"] for r in story["releases"]} == {ocid}
    assert [r["tag"] for r in stopped["releases"]] == [["tender"], ["tenderCancellation"]]
    page = client.get("/api/v1/ocds").json()
    validate_package(page)
    assert {r["tag"][0] for r in page["releases"]} == {
        "tender",
        "tenderAmendment",
        "tenderCancellation",
        "award",
        "awardUpdate",
    }


def test_the_tender_release_holds_the_call_as_published(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock)
    releases = _by_id(_package(client, s.challenge.slug))
    ocid = f"ocds-xxxxxx-{s.challenge.id}"
    tender = releases[f"{ocid}-tender"]["tender"]
    assert tender["title"] == "Testchallenge sensoren" and tender["title_en"] == "Test challenge sensors"
    assert tender["status"] == "active"
    assert tender["items"][0]["id"] == "detect" and "Vroeg detecteren." in tender["items"][0]["description"]
    assert tender["awardCriteriaDetails"] == "Effect (weging 60 van 100); Veiligheid (weging 40 van 100)"
    # As published: the deadline before the extension (26 February 17:00 CET), then the extended one.
    assert tender["tenderPeriod"] == {"startDate": "2026-11-02T08:00:00Z", "endDate": "2027-02-26T16:00:00Z"}
    assert tender["milestones"][0]["dueDate"] == "2027-02-26T16:00:00Z"
    assert tender["enquiryPeriod"]["endDate"] == "2027-02-16T16:00:00Z"  # ten days before, as the page says
    assert tender["documents"][0]["url"] == f"http://testserver/challenges/{s.challenge.slug}"
    amended = releases[f"{ocid}-v2"]["tender"]
    assert amended["tenderPeriod"]["endDate"] == "2027-02-27T16:00:00Z"
    assert amended["amendments"][0]["rationale"] == "Meer tijd voor de schets."
    nota = releases[f"{ocid}-nota-1"]["tender"]
    assert [a["id"] for a in nota["amendments"]] == [f"{ocid}-v2", f"{ocid}-nota-1"]
    assert nota["documents"][-1]["url"] == f"http://testserver/challenges/{s.challenge.slug}/nota/1"


def test_the_award_release_gives_outcome_and_count_and_no_names_by_default(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock, names_after=False)
    package = _package(client, s.challenge.slug)
    award = package["releases"][-1]
    assert award["tag"] == ["award"]
    assert award["tender"]["numberOfTenderers"] == 3
    assert award["tender"]["status"] == "complete"
    assert [a["status"] for a in award["awards"]] == ["active", "active"]
    assert award["awards"][0]["title"] == "Gunning: Oplossingsschets"
    assert award["awards"][0]["title_en"] == "Award: Solution brief"
    assert award["tender"]["procurementMethodRationale"] == "Aanbestedingswet op defensie- en veiligheidsgebied (ADV)"
    assert all("suppliers" not in a for a in award["awards"])
    text = json.dumps(package)
    for company in COMPANIES:
        assert company.name not in text and company.kvk not in text


def test_names_appear_only_where_the_company_agreed_and_the_coordinator_chose_names(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock)
    package = _package(client, s.challenge.slug)
    update = package["releases"][-1]
    assert update["tag"] == ["awardUpdate"]
    suppliers = [supplier for award in update["awards"] for supplier in award.get("suppliers", [])]
    assert suppliers == [{"id": "NL-KVK-31000001", "name": "Alpha Sensoren B.V."}]
    assert [p["name"] for p in update["parties"] if "supplier" in p["roles"]] == ["Alpha Sensoren B.V."]
    text = json.dumps(package)
    assert "Bravo Radar" not in text  # won, but did not agree
    assert "Charlie Optics" not in text  # agreed, but did not win
    # The release of the decisions itself stays as it was made: no names then.
    assert all("suppliers" not in a for a in package["releases"][-2]["awards"])


def test_releases_are_the_same_each_time_they_are_made(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock, names_after=False)
    first = _package(client, s.challenge.slug)
    clock.advance(timedelta(days=3))
    assert _package(client, s.challenge.slug) == first  # asked later: the same package, the same date
    choose(session, s, clock.now(), names=True)
    later = _by_id(_package(client, s.challenge.slug))
    for release in first["releases"]:
        assert later[release["id"]] == release
    assert len(later) == len(first["releases"]) + 1


def test_the_cancellation_release_carries_the_reason(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = cancelled(session, clock)
    release = _package(client, challenge.slug)["releases"][-1]
    assert release["tender"]["status"] == "cancelled"
    assert release["tender"]["statusDetails"] == CANCEL_REASON


def test_all_challenges_are_paged_newest_first_with_links(
    client: TestClient, session: Session, clock: FrozenClock, validate_package: Validate
) -> None:
    from tests.factories import create_challenge

    made = [create_challenge(session, slug=f"ocds-page-{i}", at=clock.now() + timedelta(hours=i)) for i in range(3)]
    first = client.get("/api/v1/ocds", params={"page_size": 2})
    assert first.status_code == 200
    body = first.json()
    validate_package(body)
    ocids = [r["ocid"] for r in body["releases"]]
    assert ocids == [f"ocds-xxxxxx-{made[2].id}", f"ocds-xxxxxx-{made[1].id}"]
    assert body["links"] == {"next": "http://testserver/api/v1/ocds?page=2&page_size=2"}
    assert first.headers["link"] == '<http://testserver/api/v1/ocds?page=2&page_size=2>; rel="next"'
    second = client.get("/api/v1/ocds", params={"page": 2, "page_size": 2}).json()
    validate_package(second)
    assert second["releases"][0]["ocid"] == f"ocds-xxxxxx-{made[0].id}"
    assert second["links"]["prev"] == "http://testserver/api/v1/ocds?page=1&page_size=2"
    assert client.get("/api/v1/ocds", params={"page": 99, "page_size": 2}).status_code == 404
    assert client.get("/api/v1/ocds", params={"page": 0}).status_code == 422


def test_a_draft_has_no_open_data(client: TestClient, session: Session) -> None:
    from tests.factories import create_challenge

    draft = create_challenge(session, slug="ocds-draft", publish=False)
    assert client.get(f"/api/v1/ocds/{draft.slug}").status_code == 404
    assert draft.slug not in client.get("/api/v1/ocds").text


def test_the_ocid_prefix_comes_from_the_settings(session: Session, clock: FrozenClock) -> None:
    from app.public.ocds import service
    from tests.factories import LINKS, create_challenge

    challenge = create_challenge(session, slug="ocds-prefix")
    package = service.challenge_package(session, challenge=challenge, prefix="ocds-a1b2c3", links=LINKS)
    assert package["releases"][0]["ocid"] == f"ocds-a1b2c3-{challenge.id}"


def test_an_earlier_stage_release_is_a_tender_update_without_awards(
    client: TestClient, session: Session, clock: FrozenClock, validate_package: Validate
) -> None:
    from app.evaluations.enums import DecisionOutcome
    from tests.evaluations.helpers import AFTER_DEADLINE, build_scenario
    from tests.ocds.helpers import release, submit

    s = build_scenario(session, proposals=0, evaluators=0, two_stages=True, prefix="ocds-two")
    for company in COMPANIES:
        submit(session, s, company)
    clock.set(AFTER_DEADLINE)
    invite, reject = DecisionOutcome.INVITE, DecisionOutcome.REJECT
    release(session, s, clock.now(), outcomes=(invite, reject, invite))
    package = _package(client, s.challenge.slug)
    validate_package(package)
    update = package["releases"][-1]
    assert update["tag"] == ["tenderUpdate"]
    assert update["tender"]["status"] == "active" and update["tender"]["numberOfTenderers"] == 3
    assert "awards" not in update
    page = client.get(f"/challenges/{s.challenge.slug}").text
    assert "Besluiten van de fase Oplossingsschets" in page and "Uitgenodigd voor de volgende fase" in page


def test_the_validation_fails_on_a_violation(
    client: TestClient, session: Session, clock: FrozenClock, validate_package: Validate
) -> None:
    """The check is not vacuous: a release without its tag, an unknown status, or a date without a time zone fails."""
    import copy

    import pytest

    package = _package(client, cancelled(session, clock).slug)
    for breaking in (
        lambda p: p["releases"][0].pop("tag"),
        lambda p: p["releases"][1]["tender"].update(status="finished"),
        lambda p: p["releases"][0].update(date="2026-11-01 12:00"),
        lambda p: p.update(version="1"),
    ):
        broken = copy.deepcopy(package)
        breaking(broken)
        with pytest.raises(AssertionError, match="OCDS schema violations"):
            validate_package(broken)

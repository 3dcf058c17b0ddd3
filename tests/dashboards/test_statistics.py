"""The public statistics: only challenges whose deadline has passed, small cells withheld, no company named,
Dutch and English, and through the page cache never stale after a deadline passes or decisions are released."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.challenges.enums import ChallengeStatus
from app.clock import FrozenClock
from app.workspace.lifecycle import service as lifecycle
from tests.dashboards.helpers import (
    AFTER_DEADLINE,
    CLOSED,
    Entry,
    closed_challenge,
    csv_rows,
    decide,
    open_challenge,
    portfolio,
    table,
)
from tests.databases import TransactionalDatabase
from tests.factories import CLI_ACTOR, LINKS
from tests.test_page_cache import Visitor

FIGURES = ("challenges-by-status", "proposals", "sme-share", "consortium-share", "consortium-sizes", "trl")


def test_statistics_show_closed_challenges_with_small_cells_withheld(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    portfolio(session, clock)
    html = client.get("/statistics").text
    # The open challenge (deadline 1 June) and the draft are left out.
    assert table(html, "challenges-by-status") == [
        ["Gepubliceerd", "0"],
        ["Beoordeling", "0"],
        ["Besloten", "1"],
        ["Gearchiveerd", "0"],
        ["Geannuleerd", "0"],
    ]
    assert table(html, "proposals") == [["Begonnen", "5"], ["Ingediend", "4"]]
    assert table(html, "sme-share") == [["Mkb", "3", "75,0 %"], ["Geen mkb", "minder dan 3", "minder dan 3"]]
    assert table(html, "consortium-sizes") == [["1", "minder dan 3"], ["2", "minder dan 3"], ["3", "minder dan 3"]]
    assert table(html, "trl")[2:6] == [
        ["3", "0", "minder dan 3"],
        ["4", "minder dan 3", "minder dan 3"],
        ["5", "minder dan 3", "minder dan 3"],
        ["6", "minder dan 3", "0"],
    ]
    assert table(html, "time-to-decision") == [["Mediaan", "129"], ["Kortste", "129"], ["Langste", "129"]]
    assert csv_rows(client.get("/statistics/sme-share.csv")) == [
        ["Indienende organisatie", "Voorstellen", "Aandeel (%)"],
        ["Mkb", "3", "75.0"],
        ["Geen mkb", "minder dan 3", "minder dan 3"],
    ]


def test_statistics_never_name_a_company(client: TestClient, session: Session, clock: FrozenClock) -> None:
    portfolio(session, clock)
    responses = [client.get("/statistics")] + [client.get(f"/statistics/{key}.csv") for key in FIGURES]
    for response in responses:
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        for name in [entry.name for entry in CLOSED] + ["Eddy Draft B.V.", "Frits Quantum B.V.", "Partner 0 B.V."]:
            assert name not in text
        assert "closed-challenge" not in text  # not even which challenge


def test_statistics_withhold_a_figure_from_fewer_than_three_organisations(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    two = (
        Entry("Ina Solo B.V.", sme=True, partners=0, trl=4, assessed=()),
        Entry("Jan Duo B.V.", sme=False, partners=1, trl=7, assessed=()),
    )
    closed_challenge(session, two, prefix="duo", block=2)
    clock.set(AFTER_DEADLINE)
    html = client.get("/statistics").text
    for key in ("sme-share", "consortium-share", "consortium-sizes", "trl"):
        withheld = html.split(f'id="figure-{key}-withheld">', 1)[1].split("</p>", 1)[0]
        assert withheld == "Berust op minder dan 3 organisaties: niet getoond."
        assert f'id="table-{key}"' not in html
    assert table(html, "proposals") == [["Begonnen", "3"], ["Ingediend", "minder dan 3"]]  # three organisations
    assert csv_rows(client.get("/statistics/trl.csv")) == [["TRL", "Opgegeven", "Beoordeeld"]]


def test_statistics_in_english(client: TestClient, session: Session, clock: FrozenClock) -> None:
    portfolio(session, clock)
    client.get("/language/en")
    html = client.get("/statistics").text
    assert "<h1>Statistics of closed challenges</h1>" in html
    assert table(html, "sme-share") == [["SME", "3", "75.0 %"], ["Not an SME", "fewer than 3", "fewer than 3"]]
    assert csv_rows(client.get("/statistics/time-to-decision.csv")) == [
        ["Measure", "Days"],
        ["Median", "129"],
        ["Shortest", "129"],
        ["Longest", "129"],
    ]


def test_statistics_are_fresh_when_a_deadline_passes_and_when_decisions_are_released(
    client: TestClient, session: Session, clock: FrozenClock, tdb: TransactionalDatabase
) -> None:
    s = closed_challenge(session)
    open_challenge(session)
    visitor = Visitor(client, tdb)
    before = visitor.get("/statistics").text
    assert 'id="figure-proposals-withheld"' in before  # no organisation yet
    assert table(before, "challenges-by-status")[2] == ["Besloten", "0"]
    visitor.kept("/statistics")
    clock.set(AFTER_DEADLINE)  # the closed challenge's deadline passed: the page turns by the clock
    closed = visitor.get("/statistics").text
    assert table(closed, "proposals") == [["Begonnen", "5"], ["Ingediend", "4"]]
    assert table(closed, "time-to-decision") == [["Mediaan", "geen"], ["Kortste", "geen"], ["Langste", "geen"]]
    assert table(closed, "trl")[2][2] == "0"  # nothing assessed is public before the release
    visitor.kept("/statistics")
    assert csv_rows(visitor.get("/statistics/time-to-decision.csv"))[1] == ["Mediaan", "geen"]
    visitor.kept("/statistics/time-to-decision.csv")
    decide(session, s, clock)  # the release of decisions bumps the public version
    released = visitor.get("/statistics").text
    assert visitor.statements > 1
    assert table(released, "time-to-decision") == [["Mediaan", "129"], ["Kortste", "129"], ["Langste", "129"]]
    assert table(released, "trl")[2][2] == "minder dan 3"
    assert "Challenges met bekendgemaakte besluiten: 1" in released
    assert csv_rows(visitor.get("/statistics/time-to-decision.csv"))[1] == ["Mediaan", "129"]
    visitor.kept("/statistics")
    lifecycle.change_status(
        session,
        challenge=s.challenge,
        to=ChallengeStatus.ARCHIVED,
        reason=None,
        actor=CLI_ACTOR,
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    archived = table(visitor.get("/statistics").text, "challenges-by-status")
    assert archived[2:4] == [["Besloten", "0"], ["Gearchiveerd", "1"]]

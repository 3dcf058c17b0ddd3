"""A challenge's region tags on its public page (names in the page's language), the public list filtered by
region, and the page cache never stale when a tag or a team's name changes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges.regions import service as challenge_regions
from app.clock import FrozenClock
from app.organisations.regions import service as region_service
from app.organisations.regions.models import Region
from tests.databases import TransactionalDatabase
from tests.factories import CLI_ACTOR, create_challenge
from tests.test_page_cache import Visitor

DETAIL = "/challenges/test-challenge"


def _region(session: Session, key: str) -> Region:
    return session.scalars(select(Region).where(Region.key == key)).one()


def _tag(session: Session, clock: FrozenClock, *keys: str) -> None:
    challenge = create_challenge(session)
    ids = [_region(session, key).id for key in keys]
    challenge_regions.set_challenge_regions(
        session, challenge=challenge, region_ids=ids, actor=CLI_ACTOR, now=clock.now()
    )
    session.commit()


def _regions_line(html: str) -> str:
    return html.split('id="challenge-regions">', 1)[1].split("</p>", 1)[0]


def test_challenge_page_shows_its_region_tags_in_the_page_language(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _tag(session, clock, "zuidwest", "noord")
    dutch = _regions_line(client.get(DETAIL).text)
    assert "Regionale ODIN-teams die deze challenge bij bedrijven brengen:" in dutch
    assert '<a class="tag" href="/?region=noord">ODIN Noord (MindBase Groningen)</a>' in dutch
    assert '<a class="tag" href="/?region=zuidwest">ODIN Zuidwest (MindBase Delft)</a>' in dutch
    assert dutch.index("ODIN Noord") < dutch.index("ODIN Zuidwest")  # in the list's order
    client.get("/language/en")
    english = _regions_line(client.get(DETAIL).text)
    assert "ODIN North (MindBase Groningen)" in english and "ODIN South-West (MindBase Delft)" in english


def test_challenge_page_without_region_tags_has_no_regions_line(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    assert 'id="challenge-regions"' not in client.get(DETAIL).text


def test_challenge_list_filters_by_region(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _tag(session, clock, "zuidwest")
    tagged = client.get("/", params={"region": "zuidwest"}).text
    assert "Testchallenge sensoren" in tagged
    assert '<option value="zuidwest" selected>ODIN Zuidwest (MindBase Delft)</option>' in tagged
    other = client.get("/", params={"region": "noord"}).text
    assert "Testchallenge sensoren" not in other
    assert "0 challenges gevonden" in other
    unknown = client.get("/", params={"region": "atlantis"})  # ignored, like an unknown NLD-gebied
    assert unknown.status_code == 200
    assert "Testchallenge sensoren" in unknown.text


def test_challenge_page_is_fresh_when_its_regions_or_their_names_change(
    client: TestClient, session: Session, clock: FrozenClock, tdb: TransactionalDatabase
) -> None:
    challenge = create_challenge(session)
    visitor = Visitor(client, tdb)
    assert 'id="challenge-regions"' not in visitor.get(DETAIL).text
    visitor.kept(DETAIL)
    visitor.get("/?region=oost")
    visitor.kept("/?region=oost")
    oost = _region(session, "oost")
    challenge_regions.set_challenge_regions(
        session, challenge=challenge, region_ids=[oost.id], actor=CLI_ACTOR, now=clock.now()
    )
    session.commit()
    assert "ODIN Oost" in _regions_line(visitor.get(DETAIL).text)
    assert "Testchallenge sensoren" in visitor.get("/?region=oost").text
    visitor.kept(DETAIL)
    region_service.save_region(
        session,
        region=oost,
        key="oost",
        name_nl="ODIN Oost (MindBase Enschede)",
        name_en="ODIN East (MindBase Enschede)",
        position=oost.position,
        active=True,
        provinces=oost.province_codes,
        actor=CLI_ACTOR,
        now=clock.now(),
    )
    session.commit()
    assert "ODIN Oost (MindBase Enschede)" in _regions_line(visitor.get(DETAIL).text)

"""A challenge's region tags: its coordinators set them, also after publication; audited; others get 404."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges.regions import service as challenge_regions
from app.clock import FrozenClock
from app.organisations.regions.models import Region
from tests.factories import create_challenge
from tests.manage.helpers import assign, post, staff


def _ids(session: Session, *keys: str) -> list[int]:
    return [session.scalars(select(Region.id).where(Region.key == key)).one() for key in keys]


def test_coordinator_tags_a_published_challenge(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)  # published
    coordinator = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, coordinator, clock)
    url = f"/manage/challenges/{challenge.slug}/regions"
    assert "ODIN Zuidwest (MindBase Delft)" in client.get(url).text
    noord, zuidwest = _ids(session, "noord", "zuidwest")
    response = post(client, url, {"regions": [str(zuidwest), str(noord)]})
    assert response.status_code == 303
    assert [r.key for r in challenge_regions.list_challenge_regions(session, challenge_id=challenge.id)] == [
        "noord",
        "zuidwest",
    ]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.regions")).one()
    assert event.data == {"region_ids": sorted([noord, zuidwest])}
    assert challenge.current_version == 1  # no correction: the definition did not change
    refused = post(client, url, {"regions": ["999999"]})
    assert refused.status_code == 422
    assert "Kies regionale teams uit de lijst." in html.unescape(refused.text)
    assert post(client, url, {"regions": "abc"}).status_code == 422
    assert post(client, url, {}).status_code == 303
    assert challenge_regions.list_challenge_regions(session, challenge_id=challenge.id) == []


def test_challenge_regions_404_for_other_coordinators(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="other@mindef.example")
    url = f"/manage/challenges/{challenge.slug}/regions"
    assert client.get(url).status_code == 404
    assert post(client, url, {"regions": str(_ids(session, "noord")[0])}).status_code == 404
    assert challenge_regions.list_challenge_regions(session, challenge_id=challenge.id) == []

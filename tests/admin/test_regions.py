"""Administrators keep ODIN's regional teams: add, rename, retire, provinces, coordinators; all audited."""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.organisations.regions import service as region_service
from app.organisations.regions.models import Region, RegionMember
from tests.factories import create_user, csrf, log_in


def _post(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})


def _admin(client: TestClient, session: Session, clock: FrozenClock) -> Any:
    admin = create_user(session, email="adam@mindef.example", roles=("administrator",))
    log_in(client, session, admin, now=clock.now())
    return admin


def _actions(session: Session) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.object_type == "region").order_by(AuditEvent.id)
    return list(session.scalars(query))


def test_regions_seeded_with_every_province_covered(session: Session) -> None:
    regions = region_service.list_regions(session)
    assert [r.key for r in regions] == ["noord", "oost", "midden", "noordwest", "zuidwest", "zuid"]
    assert sorted(code for r in regions for code in r.province_codes) == sorted(
        ["NL-DR", "NL-FL", "NL-FR", "NL-GE", "NL-GR", "NL-LI", "NL-NB", "NL-NH", "NL-OV", "NL-UT", "NL-ZE", "NL-ZH"]
    )


def test_admin_adds_a_team_taking_a_province(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _admin(client, session, clock)
    assert "ODIN Noord (MindBase Groningen)" in client.get("/admin/regions").text
    data = {"key": "brabant", "name_nl": "ODIN Brabant", "name_en": "ODIN Brabant", "position": "7", "active": "1"}
    taken = _post(client, "/admin/regions", {**data, "provinces": "NL-NB"})
    assert taken.status_code == 422
    assert "NL-NB hoort bij een ander team" in html.unescape(taken.text)
    zuid = session.scalars(select(Region).where(Region.key == "zuid")).one()
    update = {"key": "zuid", "name_nl": "ODIN Limburg", "name_en": "ODIN Limburg", "position": "6", "active": "1"}
    assert _post(client, f"/admin/regions/{zuid.id}", {**update, "provinces": "NL-LI"}).status_code == 303
    response = _post(client, "/admin/regions", {**data, "provinces": "NL-NB"})
    assert response.status_code == 303
    brabant = session.scalars(select(Region).where(Region.key == "brabant")).one()
    assert response.headers["location"] == f"/admin/regions/{brabant.id}"
    assert region_service.region_id_of_province(session, province="NL-NB") == brabant.id
    assert _actions(session) == ["region.update", "region.create"]
    duplicate = _post(client, "/admin/regions", {**data, "provinces": ""})
    assert duplicate.status_code == 422
    assert "Deze sleutel staat al in de lijst." in html.unescape(duplicate.text)


def test_admin_retires_a_team(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _admin(client, session, clock)
    oost = session.scalars(select(Region).where(Region.key == "oost")).one()
    data = {"key": "oost", "name_nl": "ODIN Oost", "name_en": "ODIN East", "position": "2", "active": ""}
    assert _post(client, f"/admin/regions/{oost.id}", {**data, "provinces": ["NL-OV", "NL-GE"]}).status_code == 303
    session.refresh(oost)
    assert oost.active is False
    assert oost.province_codes == ["NL-GE", "NL-OV"]
    assert region_service.region_id_of_province(session, province="NL-GE") is None
    changed_key = _post(client, f"/admin/regions/{oost.id}", {**data, "key": "east"})
    assert changed_key.status_code == 422


def test_admin_assigns_coordinators(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _admin(client, session, clock)
    coordinator = create_user(session, email="coco@mindef.example", name="Coco", roles=("coordinator",))
    create_user(session, email="eva@mindef.example", roles=("evaluator",))
    noord, midden = (session.scalars(select(Region).where(Region.key == k)).one() for k in ("noord", "midden"))
    refused = _post(client, f"/admin/regions/{noord.id}/members", {"email": "eva@mindef.example"})
    assert refused.status_code == 422
    assert "Geen coördinator heeft dit e-mailadres." in html.unescape(refused.text)
    assert _post(client, f"/admin/regions/{noord.id}/members", {"email": "COCO@mindef.example"}).status_code == 303
    assert _post(client, f"/admin/regions/{midden.id}/members", {"email": "coco@mindef.example"}).status_code == 303
    assert session.get(RegionMember, coordinator.id).region_id == midden.id  # type: ignore[union-attr]
    assert "ODIN Midden" in client.get(f"/admin/users/{coordinator.id}").text
    wrong_team = _post(client, f"/admin/regions/{noord.id}/members/{coordinator.id}/remove")
    assert wrong_team.status_code == 404
    assert _post(client, f"/admin/regions/{midden.id}/members/{coordinator.id}/remove").status_code == 303
    assert session.get(RegionMember, coordinator.id) is None
    assert _actions(session) == ["region.member_assign", "region.member_assign", "region.member_remove"]


def test_region_pages_404_for_non_administrators(client: TestClient, session: Session, clock: FrozenClock) -> None:
    coordinator = create_user(session, email="coco@mindef.example", roles=("coordinator",))
    log_in(client, session, coordinator, now=clock.now())
    noord = session.scalars(select(Region).where(Region.key == "noord")).one()
    assert client.get("/admin/regions").status_code == 404
    assert client.get(f"/admin/regions/{noord.id}").status_code == 404
    assert _post(client, f"/admin/regions/{noord.id}/members", {"email": "coco@mindef.example"}).status_code == 404
    assert session.get(RegionMember, coordinator.id) is None

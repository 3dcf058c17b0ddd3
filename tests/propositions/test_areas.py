"""A coordinator's NLD-gebieden, given by an administrator on the user's page: audited, refused for anyone but a
coordinator, and then the coordinator triages (and is e-mailed) the propositions in them; the account page shows a
coordinator's team and NLD-gebieden."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.challenges.areas import service as area_service
from app.challenges.models import TaxonomyTerm
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from tests.factories import create_user, log_in
from tests.propositions.helpers import company_in, post, regional_coordinator, send


def _term(session: Session, key: str) -> TaxonomyTerm:
    return session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.kind == "nld", TaxonomyTerm.key == key)).one()


def _admin(client: TestClient, session: Session, clock: FrozenClock) -> None:
    client.cookies.clear()
    log_in(
        client, session, create_user(session, email="adam@mindef.example", roles=("administrator",)), now=clock.now()
    )


def test_admin_gives_a_coordinator_areas_audited(client: TestClient, session: Session, clock: FrozenClock) -> None:
    coordinator = create_user(session, email="cora@mindef.example", name="Cora", roles=("coordinator",))
    _admin(client, session, clock)
    page = client.get(f"/admin/users/{coordinator.id}").text
    assert f'action="/admin/users/{coordinator.id}/areas"' in page
    quantum, sensoren = _term(session, "quantum"), _term(session, "sensoren")
    response = post(client, f"/admin/users/{coordinator.id}/areas", {"areas": [str(quantum.id), str(sensoren.id)]})
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{coordinator.id}?done=areas#areas"
    assert [t.key for t in area_service.list_areas_of_user(session, user_id=coordinator.id)] == ["quantum", "sensoren"]
    saved = html.unescape(client.get(response.headers["location"]).text)
    assert "De NLD-gebieden zijn opgeslagen." in saved
    assert f'value="{quantum.id}" checked' in saved
    assert post(client, f"/admin/users/{coordinator.id}/areas", {"areas": str(sensoren.id)}).status_code == 303
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "coordinator.areas").order_by(AuditEvent.id)
    ).all()
    assert [(e.object_type, e.object_id) for e in events] == [("user", str(coordinator.id))] * 2
    assert events[-1].data == {"term_ids": [sensoren.id], "added": [], "removed": [quantum.id]}


def test_areas_form_refuses_bad_input_and_non_coordinators(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    coordinator = create_user(session, email="cora@mindef.example", roles=("coordinator",))
    evaluator = create_user(session, email="eva@mindef.example", roles=("evaluator",))
    programme = session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.kind == "programme")).first()
    assert programme is not None
    _admin(client, session, clock)
    for bad in ("abc", "99999999999999999999", "999999", str(programme.id)):
        response = post(client, f"/admin/users/{coordinator.id}/areas", {"areas": bad})
        assert response.status_code == 422, bad
        assert '<a href="#areas">NLD-gebieden: Kies NLD-gebieden uit de lijst.</a>' in html.unescape(response.text)
    refused = post(client, f"/admin/users/{evaluator.id}/areas", {"areas": str(_term(session, "quantum").id)})
    assert refused.status_code == 422
    assert "Alleen een coördinator kan NLD-gebieden krijgen" in html.unescape(refused.text)
    assert area_service.list_areas_of_user(session, user_id=evaluator.id) == []
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "coordinator.areas")) is None
    for outsider in (coordinator, evaluator):
        client.cookies.clear()
        log_in(client, session, outsider, now=clock.now())
        assert post(client, f"/admin/users/{coordinator.id}/areas", {"areas": ""}).status_code == 404


def test_an_assigned_coordinator_triages_the_area_and_is_emailed(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    now = clock.now()
    coordinator = create_user(session, email="cora@mindef.example", roles=("coordinator",))
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province=None, at=now
    )
    first = send(client, session, user, organisation, now=now)  # quantum, no team
    assert session.scalar(select(OutboxMessage.id).where(OutboxMessage.to_address == coordinator.email)) is None
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    assert client.get(f"/manage/propositions/{first.id}").status_code == 404
    assert f"P-{first.id}" not in client.get("/manage/propositions").text
    _admin(client, session, clock)
    assert (
        post(client, f"/admin/users/{coordinator.id}/areas", {"areas": str(_term(session, "quantum").id)}).status_code
        == 303
    )
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    assert client.get(f"/manage/propositions/{first.id}").status_code == 200
    assert f"P-{first.id}" in client.get("/manage/propositions").text
    client.cookies.clear()
    second = send(client, session, user, organisation, now=now)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == coordinator.email)).one()
    assert (mail.template, mail.subject) == (
        "proposition_received",
        f"Nieuwe propositie P-{second.id} om te beoordelen",
    )
    other = send(client, session, user, organisation, now=now, nld_area="sensoren")
    assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == coordinator.email)).all()) == 1
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    assert client.get(f"/manage/propositions/{other.id}").status_code == 404


def test_account_page_shows_a_coordinators_team_and_areas(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    now = clock.now()
    coordinator = regional_coordinator(session, email="zw@mindef.example", region_key="zuidwest", at=now)
    evaluator = create_user(session, email="eva@mindef.example", roles=("evaluator",))
    log_in(client, session, coordinator, now=now)
    page = html.unescape(client.get("/account").text)
    assert '<h2 id="section-team">Uw regionale ODIN-team</h2>' in page
    assert "<li>ODIN Zuidwest (MindBase Delft)</li>" in page
    assert '<h2 id="section-areas">Uw NLD-gebieden</h2>' in page
    assert "Er is u geen NLD-gebied toegewezen." in page
    area_service.set_coordinator_areas(
        session,
        user=coordinator,
        term_ids=[_term(session, "quantum").id],
        actor=Actor.system(),
        now=now,
    )
    session.commit()
    english = html.unescape(client.get("/account?lang=en").text)
    assert '<h2 id="section-team">Your ODIN regional team</h2>' in english
    assert "<li>ODIN South-West (MindBase Delft)</li>" in english
    assert f"<li>{_term(session, 'quantum').name_en}</li>" in english
    client.cookies.clear()
    log_in(client, session, evaluator, now=now)
    other = client.get("/account").text
    assert 'id="section-team"' not in other
    assert 'id="section-areas"' not in other

"""Propositions without a challenge through HTTP: sending, who sees one, the triage steps and their messages."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.proposals.propositions.models import Proposition
from tests.factories import create_challenge, create_user, log_in
from tests.pdfs import encrypted_pdf, pdf_bytes
from tests.proposals.helpers import act_for
from tests.propositions.helpers import (
    SECRET,
    area_coordinator,
    company_in,
    post,
    proposition_form,
    region,
    regional_coordinator,
    send,
)


def _actions(session: Session, proposition_id: int) -> list[str]:
    query = (
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "proposition", AuditEvent.object_id == str(proposition_id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(query))


def test_proposition_send_keeps_the_region_and_audits(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=clock.now()
    )
    proposition = send(client, session, user, organisation, now=clock.now())
    assert (proposition.status, proposition.trl, proposition.region_id) == (
        "submitted",
        5,
        region(session, "zuidwest").id,
    )
    assert _actions(session, proposition.id) == ["proposition.submit"]
    page = client.get(f"/propositions/{proposition.id}")
    assert page.status_code == 200
    assert SECRET in page.text
    assert "In afwachting van triage" in page.text
    listing = client.get("/propositions")
    assert f"P-{proposition.id}" in listing.text


def test_proposition_send_with_bad_input_shows_each_error(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province=None, at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    data = proposition_form(trl="12", nld_area="", description="x" * 3001, title="")
    response = post(client, "/propositions/new", data)
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert 'href="#trl"' in response.text
    assert 'href="#nld_area"' in response.text
    assert 'href="#description"' in response.text
    assert 'href="#title"' in response.text
    assert "x" * 3001 in text  # nothing typed is lost
    response = post(client, "/propositions/new", proposition_form(nld_area="astrologie"))
    assert response.status_code == 422
    assert "Kies een NLD-gebied uit de lijst." in html.unescape(response.text)
    assert session.scalar(select(Proposition.id)) is None


def test_proposition_without_acting_organisation_sends_nothing(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    log_in(client, session, create_user(session, email="solo@example.nl"), now=clock.now())
    response = post(client, "/propositions/new", proposition_form())
    assert response.status_code == 303
    assert response.headers["location"] == "/propositions/new"
    assert session.scalar(select(Proposition.id)) is None


def test_proposition_is_hidden_from_everyone_else(client: TestClient, session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=now
    )
    proposition = send(client, session, user, organisation, now=now)  # quantum, ODIN Zuidwest
    challenge = create_challenge(session)  # tagged sensoren
    competitor, _ = company_in(
        session, email="bo@echo.example", name="Echo B.V.", kvk="87654321", province="NL-ZH", at=now
    )
    outsiders = [
        competitor,
        area_coordinator(session, challenge, email="sensors@mindef.example", at=now),
        regional_coordinator(session, email="north@mindef.example", region_key="noord", at=now),
        create_user(session, email="eva@mindef.example", roles=("evaluator",)),
        create_user(session, email="adam@mindef.example", roles=("administrator",)),
    ]
    urls = [
        f"/propositions/{proposition.id}",
        f"/manage/propositions/{proposition.id}",
        f"/propositions/{proposition.id}/document",
    ]
    for outsider in outsiders:
        client.cookies.clear()
        log_in(client, session, outsider, now=now)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (outsider.email, url)
            assert SECRET not in response.text
        assert SECRET not in client.get("/manage/propositions").text
        response = post(client, f"/manage/propositions/{proposition.id}/triage", {"step": "watch"})
        assert response.status_code == 404, outsider.email
        assert post(client, f"/propositions/{proposition.id}/messages", {"body": "hallo"}).status_code == 404
    client.cookies.clear()
    response = client.get(f"/propositions/{proposition.id}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert session.get(Proposition, proposition.id).status == "submitted"  # type: ignore[union-attr]


def test_proposition_refer_by_regional_coordinator_tells_the_company(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=now
    )
    proposition = send(client, session, user, organisation, now=now)
    challenge = create_challenge(session)
    coordinator = regional_coordinator(session, email="zw@mindef.example", region_key="zuidwest", at=now)
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    assert "Kwantumradar" in client.get("/manage/propositions").text
    page = client.get(f"/manage/propositions/{proposition.id}")
    assert page.status_code == 200
    assert SECRET in page.text
    missing = post(client, f"/manage/propositions/{proposition.id}/triage", {"step": "refer", "message": "Kijk hier"})
    assert missing.status_code == 422
    assert "Kies de open challenge waarnaar u het bedrijf verwijst." in html.unescape(missing.text)
    data = {"step": "refer", "challenge_id": str(challenge.id), "message": "Deze challenge past."}
    assert post(client, f"/manage/propositions/{proposition.id}/triage", data).status_code == 303
    session.refresh(proposition)
    assert (proposition.status, proposition.referred_challenge_id) == ("referred", challenge.id)
    assert _actions(session, proposition.id) == ["proposition.submit", "proposition.refer"]
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "an@delta.example")).one()
    assert f"P-{proposition.id}" in mail.subject
    assert f"http://testserver/propositions/{proposition.id}" in mail.body_text
    again = post(client, f"/manage/propositions/{proposition.id}/triage", {"step": "watch"})
    assert again.status_code == 400  # a referred proposition is settled
    client.cookies.clear()
    act_for(client, session, user, organisation, now=now)
    company_page = client.get(f"/propositions/{proposition.id}").text
    assert "Deze challenge past." in company_page
    assert challenge.title_nl in company_page


def test_proposition_decline_needs_a_reason(client: TestClient, session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province=None, at=now
    )
    proposition = send(client, session, user, organisation, now=now, nld_area="sensoren")
    challenge = create_challenge(session)
    coordinator = area_coordinator(session, challenge, email="sensors@mindef.example", at=now)
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    response = post(client, f"/manage/propositions/{proposition.id}/triage", {"step": "decline", "message": " "})
    assert response.status_code == 422
    assert "Geef de reden van de afwijzing: het bedrijf leest die." in html.unescape(response.text)
    session.refresh(proposition)
    assert proposition.status == "submitted"
    data = {"step": "decline", "message": "Geen defensietoepassing."}
    assert post(client, f"/manage/propositions/{proposition.id}/triage", data).status_code == 303
    session.refresh(proposition)
    assert proposition.status == "declined"
    assert _actions(session, proposition.id)[-1] == "proposition.decline"


def test_proposition_watch_then_route_to_a_programme(client: TestClient, session: Session, clock: FrozenClock) -> None:
    from app.challenges.models import TaxonomyTerm

    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-GR", at=now
    )
    proposition = send(client, session, user, organisation, now=now)
    coordinator = regional_coordinator(session, email="noord@mindef.example", region_key="noord", at=now)
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    assert post(client, f"/manage/propositions/{proposition.id}/triage", {"step": "watch"}).status_code == 303
    diana = session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.key == "nato-diana")).one()
    bad = post(client, f"/manage/propositions/{proposition.id}/triage", {"step": "route", "programme_id": "999999"})
    assert bad.status_code == 422
    data = {"step": "route", "programme_id": str(diana.id)}
    assert post(client, f"/manage/propositions/{proposition.id}/triage", data).status_code == 303
    session.refresh(proposition)
    assert (proposition.status, proposition.programme_term_id) == ("routed", diana.id)
    assert _actions(session, proposition.id) == ["proposition.submit", "proposition.watch", "proposition.route"]
    assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "an@delta.example")).all()) == 2


def test_proposition_messages_both_ways(client: TestClient, session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=now
    )
    proposition = send(client, session, user, organisation, now=now)
    assert post(client, f"/propositions/{proposition.id}/messages", {"body": ""}).status_code == 422
    assert (
        post(client, f"/propositions/{proposition.id}/messages", {"body": "Wij demonstreren graag."}).status_code == 303
    )
    coordinator = regional_coordinator(session, email="zw@mindef.example", region_key="zuidwest", at=now)
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    assert "Wij demonstreren graag." in client.get(f"/manage/propositions/{proposition.id}").text
    reply = post(client, f"/manage/propositions/{proposition.id}/messages", {"body": "Graag, in Delft."})
    assert reply.status_code == 303
    assert _actions(session, proposition.id) == ["proposition.submit", "proposition.message", "proposition.message"]
    assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "an@delta.example")).all()) == 1
    client.cookies.clear()
    act_for(client, session, user, organisation, now=now)
    assert "Graag, in Delft." in client.get(f"/propositions/{proposition.id}").text


def test_proposition_document_is_checked_like_every_upload(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=now
    )
    proposition = send(client, session, user, organisation, now=now)
    url = f"/propositions/{proposition.id}/document"
    from tests.factories import csrf

    refused = client.post(
        url, data={"csrf_token": csrf(client)}, files={"file": ("x.pdf", encrypted_pdf(), "application/pdf")}
    )
    assert refused.status_code == 422
    assert session.get(Proposition, proposition.id).document_sha256 is None  # type: ignore[union-attr]
    no_token = client.post(url, files={"file": ("plan.pdf", pdf_bytes(), "application/pdf")})
    assert no_token.status_code == 403
    good = client.post(
        url, data={"csrf_token": csrf(client)}, files={"file": ("plan.pdf", pdf_bytes(), "application/pdf")}
    )
    assert good.status_code == 303, good.text[:300]
    download = client.get(url)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith('attachment; filename="plan.pdf"')
    assert download.content == pdf_bytes()
    assert _actions(session, proposition.id) == ["proposition.submit", "proposition.document"]


def test_proposition_document_for_triagers_and_closed_after_triage(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from tests.factories import csrf

    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=now
    )
    proposition = send(client, session, user, organisation, now=now)
    url = f"/propositions/{proposition.id}/document"
    assert client.get(url).status_code == 404  # no document yet
    files = {"file": ("plan.pdf", pdf_bytes(), "application/pdf")}
    assert client.post(url, data={"csrf_token": csrf(client)}, files=files).status_code == 303
    coordinator = regional_coordinator(session, email="zw@mindef.example", region_key="zuidwest", at=now)
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    assert client.get(url).status_code == 200
    assert post(client, f"/manage/propositions/{proposition.id}/triage", {"step": "watch"}).status_code == 303
    client.cookies.clear()
    act_for(client, session, user, organisation, now=now)
    late = client.post(
        url, data={"csrf_token": csrf(client)}, files={"file": ("v2.pdf", pdf_bytes(2), "application/pdf")}
    )
    assert late.status_code == 422
    assert "Een document kan alleen vóór de triage worden toegevoegd." in html.unescape(late.text)
    session.refresh(proposition)
    assert proposition.document_name == "plan.pdf"

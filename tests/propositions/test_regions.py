"""A proposition's region tags through HTTP: the first tag at sending, the triagers' tag form, who may then triage
it (the list and the page agree), the audit event, the company's page, and the e-mail to the triagers."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.challenges.models import TaxonomyTerm
from app.clock import FrozenClock
from app.errors import NotFound, ValidationFailed
from app.notifications.models import OutboxMessage
from app.proposals.propositions import service, tags
from app.proposals.propositions.models import Proposition, PropositionRegion
from tests.factories import create_challenge, create_user, log_in
from tests.proposals.helpers import act_for
from tests.propositions.helpers import SECRET, area_coordinator, company_in, post, region, regional_coordinator, send


def _tag_ids(session: Session, proposition_id: int) -> list[int]:
    query = select(PropositionRegion.region_id).where(PropositionRegion.proposition_id == proposition_id)
    return sorted(session.scalars(query))


def _events(session: Session, proposition_id: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.object_type == "proposition",
        AuditEvent.object_id == str(proposition_id),
        AuditEvent.action == "proposition.regions",
    )
    return list(session.scalars(query.order_by(AuditEvent.id)))


def _sees(client: TestClient, proposition_id: int) -> tuple[int, bool]:
    """The page's status and whether the triage list names the proposition: they must agree."""
    page = client.get(f"/manage/propositions/{proposition_id}").status_code
    listed = f'href="/manage/propositions/{proposition_id}"' in client.get("/manage/propositions").text
    return page, listed


def test_sending_tags_the_organisations_team(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=clock.now()
    )
    proposition = send(client, session, user, organisation, now=clock.now())
    assert _tag_ids(session, proposition.id) == [region(session, "zuidwest").id]
    page = html.unescape(client.get(f"/propositions/{proposition.id}").text)
    assert '<dd id="proposition-regions">ODIN Zuidwest (MindBase Delft)</dd>' in page
    abroad_user, abroad = company_in(
        session, email="al@abroad.example", name="Abroad Ltd", kvk="12345679", province=None, at=clock.now()
    )
    client.cookies.clear()
    untagged = send(client, session, abroad_user, abroad, now=clock.now())
    assert _tag_ids(session, untagged.id) == []


def test_a_newly_tagged_team_may_triage_and_a_removed_one_no_longer(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=now
    )
    proposition = send(client, session, user, organisation, now=now)  # quantum, tagged ODIN Zuidwest
    zuidwest = regional_coordinator(session, email="zw@mindef.example", region_key="zuidwest", at=now)
    noord = regional_coordinator(session, email="nrd@mindef.example", region_key="noord", at=now)
    client.cookies.clear()
    log_in(client, session, noord, now=now)
    assert _sees(client, proposition.id) == (404, False)
    refused = post(
        client, f"/manage/propositions/{proposition.id}/regions", {"regions": str(region(session, "noord").id)}
    )
    assert refused.status_code == 404
    assert _tag_ids(session, proposition.id) == [region(session, "zuidwest").id]

    client.cookies.clear()
    log_in(client, session, zuidwest, now=now)
    assert _sees(client, proposition.id) == (200, True)
    both = [str(region(session, "zuidwest").id), str(region(session, "noord").id)]
    response = post(client, f"/manage/propositions/{proposition.id}/regions", {"regions": both})
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"] == f"/manage/propositions/{proposition.id}#regions"
    assert _tag_ids(session, proposition.id) == sorted([region(session, "zuidwest").id, region(session, "noord").id])
    event = _events(session, proposition.id)[-1]
    assert event.data["added"] == [region(session, "noord").id]
    assert event.data["removed"] == []

    client.cookies.clear()
    log_in(client, session, noord, now=now)
    assert _sees(client, proposition.id) == (200, True)
    assert SECRET in client.get(f"/manage/propositions/{proposition.id}").text
    # Noord hands it back: the Zuidwest tag goes, and with it their own; they land on their list, told so.
    handed = post(
        client, f"/manage/propositions/{proposition.id}/regions", {"regions": str(region(session, "noord").id)}
    )
    assert handed.status_code == 303
    assert _tag_ids(session, proposition.id) == [region(session, "noord").id]
    client.cookies.clear()
    log_in(client, session, zuidwest, now=now)
    assert _sees(client, proposition.id) == (404, False)
    client.cookies.clear()
    log_in(client, session, noord, now=now)
    gone = post(client, f"/manage/propositions/{proposition.id}/regions", {})
    assert gone.headers["location"] == f"/manage/propositions?handed_over={proposition.id}"
    notice = html.unescape(client.get(gone.headers["location"]).text)
    assert (
        f"De regionale teams van P-{proposition.id} zijn opgeslagen. U beoordeelt deze propositie niet meer." in notice
    )
    assert _sees(client, proposition.id) == (404, False)
    assert [e.data["region_ids"] for e in _events(session, proposition.id)] == [
        sorted([region(session, "zuidwest").id, region(session, "noord").id]),
        [region(session, "noord").id],
        [],
    ]
    client.cookies.clear()
    act_for(client, session, user, organisation, now=now)
    assert '<dd id="proposition-regions">Geen</dd>' in client.get(f"/propositions/{proposition.id}").text


def test_tag_form_refuses_unknown_and_retired_teams(client: TestClient, session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=now
    )
    proposition = send(client, session, user, organisation, now=now)
    oost = region(session, "oost")
    oost.active = False
    session.commit()
    coordinator = regional_coordinator(session, email="zw@mindef.example", region_key="zuidwest", at=now)
    client.cookies.clear()
    log_in(client, session, coordinator, now=now)
    zw = str(region(session, "zuidwest").id)
    for bad in ("999999", "abc", "99999999999999999999", str(oost.id), "²"):
        response = post(client, f"/manage/propositions/{proposition.id}/regions", {"regions": [zw, bad]})
        assert response.status_code == 422, bad
        page = html.unescape(response.text)
        assert '<a href="#regions">Regionale teams: Kies regionale teams uit de lijst.</a>' in page
        assert 'id="regions-error"' in page
    assert _tag_ids(session, proposition.id) == [region(session, "zuidwest").id]
    assert _events(session, proposition.id) == []
    no_token = client.post(f"/manage/propositions/{proposition.id}/regions", data={"regions": zw})
    assert no_token.status_code == 403
    english = post(client, f"/manage/propositions/{proposition.id}/regions?lang=en", {"regions": "abc"})
    assert "Choose regional teams from the list." in html.unescape(english.text)


def test_tags_service_keeps_a_retired_team_and_admits_triagers_only(session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    _, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-GR", at=now
    )
    noord = region(session, "noord")
    sensoren = session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.kind == "nld", TaxonomyTerm.key == "sensoren"))
    proposition = Proposition(
        organisation_id=organisation.id, title="t", effect="e", nld_term_id=sensoren.one().id, region_id=noord.id,
        trl=3, description="d", status="submitted", submitted_at=now,
    )  # fmt: skip
    session.add(proposition)
    session.flush()
    tags.tag_at_sending(session, proposition=proposition)
    noord.active = False  # retired after the proposition was tagged
    coordinator = area_coordinator(session, create_challenge(session), email="sensors@mindef.example", at=now)
    evaluator = create_user(session, email="eva@mindef.example", roles=("evaluator",))
    actor = Actor(user_id=coordinator.id, label=coordinator.email)
    with pytest.raises(NotFound):
        tags.set_proposition_regions(
            session, proposition=proposition, region_ids=[], user=evaluator, actor=actor, now=now
        )
    assert tags.set_proposition_regions(
        session, proposition=proposition, region_ids=[noord.id], user=coordinator, actor=actor, now=now
    )
    assert [r.key for r in tags.list_proposition_regions(session, proposition_id=proposition.id)] == ["noord"]
    # No tag at all: the coordinator of its NLD-gebied still triages it.
    assert tags.set_proposition_regions(
        session, proposition=proposition, region_ids=[], user=coordinator, actor=actor, now=now
    )
    with pytest.raises(ValidationFailed):
        tags.set_proposition_regions(
            session, proposition=proposition, region_ids=[noord.id], user=coordinator, actor=actor, now=now
        )  # once removed, a retired team cannot come back
    assert service.get_triage_proposition(session, proposition_id=proposition.id, user=coordinator) is proposition


def test_sending_emails_every_triager_once(client: TestClient, session: Session, clock: FrozenClock) -> None:
    now = clock.now()
    challenge = create_challenge(session)  # tagged sensoren
    by_challenge = area_coordinator(session, challenge, email="sensors@mindef.example", at=now)
    regional = regional_coordinator(session, email="zw@mindef.example", region_key="zuidwest", at=now)
    regional_coordinator(session, email="nrd@mindef.example", region_key="noord", at=now)
    blocked = regional_coordinator(session, email="blocked@mindef.example", region_key="zuidwest", at=now)
    blocked.status = "blocked"
    session.commit()
    user, organisation = company_in(
        session, email="an@delta.example", name="Delta B.V.", kvk="12345678", province="NL-ZH", at=now
    )
    proposition = send(client, session, user, organisation, now=now, nld_area="sensoren")
    mails = session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "proposition_received").order_by(OutboxMessage.to_address)
    ).all()
    assert [m.to_address for m in mails] == sorted([by_challenge.email, regional.email])
    assert f"Nieuwe propositie P-{proposition.id} om te beoordelen" == mails[0].subject
    assert f"http://testserver/manage/propositions/{proposition.id}" in mails[0].body_text
    assert SECRET not in mails[0].body_text

"""Consortium partners know: a registered partner is asked by e-mail, sees what concerns it, accepts or declines;
a refusal blocks the lead's submission until the lead removes it. Through HTTP, as the lead and as the partner."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.organisations.models import Membership
from app.proposals.models import Proposal, ProposalPartner, ProposalVersion
from app.proposals.partners import service as partner_service
from tests.factories import create_challenge, create_user, csrf, log_in
from tests.proposals.helpers import act_for, create_company, ready_proposal, submit

SECRET = "Vroege detectie van kleine drones"  # the lead's answer (ready_proposal)
ROLE = "Radarintegratie"


@dataclass
class Consortium:
    lead_user: Any
    lead: Any
    partner_user: Any
    partner_colleague: Any
    partner: Any
    outsider: Any  # a member of a third company
    proposal: Proposal


def _partnership(session: Session, world: Consortium) -> ProposalPartner:
    session.expire_all()
    row = session.scalar(
        select(ProposalPartner).where(
            ProposalPartner.proposal_id == world.proposal.id, ProposalPartner.organisation_id == world.partner.id
        )
    )
    assert row is not None
    return row


def _add_partner(client: TestClient, proposal_id: int, kvk: str, role: str = ROLE) -> Any:
    return client.post(
        f"/proposals/{proposal_id}/consortium/partners",
        data={"partner_kvk_number": kvk, "partner_role": role, "csrf_token": csrf(client)},
    )


def _remove_partner(client: TestClient, proposal_id: int, index: int = 0) -> Any:
    return client.post(
        f"/proposals/{proposal_id}/consortium/partners/{index}/remove", data={"csrf_token": csrf(client)}
    )


def _shares(client: TestClient, proposal_id: int, **values: str) -> Any:
    return client.post(f"/proposals/{proposal_id}/consortium", data={**values, "csrf_token": csrf(client)})


def _answer(client: TestClient, partnership_id: int, verb: str, reason: str = "") -> Any:
    return client.post(f"/partnerships/{partnership_id}/{verb}", data={"reason": reason, "csrf_token": csrf(client)})


def _main(response: Any) -> str:
    """The page's own content, without the header's forms (log out) and navigation."""
    return str(response.text).split("<main", 1)[1]


def _mails(session: Session, template: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)))


@pytest.fixture
def world(client: TestClient, session: Session, clock: FrozenClock) -> Consortium:
    """Alpha leads a ready proposal and names Charlie (registered, two members) as a partner with 30%."""
    now = clock.now()
    challenge = create_challenge(session)
    lead_user, lead = create_company(
        session, email="lotte@alpha.example", name="Alpha Lead B.V.", kvk="10000001", at=now
    )
    partner_user, partner = create_company(
        session, email="piet@charlie.example", name="Charlie Partner B.V.", kvk="30000003", at=now
    )
    colleague = create_user(session, email="cor@charlie.example", name="Cor", language="en")
    session.add(Membership(organisation_id=partner.id, user_id=colleague.id, role="member", joined_at=now))
    session.commit()
    outsider, _ = create_company(session, email="bob@bravo.example", name="Bravo Rival B.V.", kvk="20000002", at=now)
    act_for(client, session, lead_user, lead, now=now)
    proposal = ready_proposal(client, session, challenge.slug)
    assert _add_partner(client, proposal.id, "3000 0003").status_code == 303
    assert _shares(client, proposal.id, lead_share="70", partner_0_share="30", partner_0_role=ROLE).status_code == 303
    return Consortium(lead_user, lead, partner_user, colleague, partner, outsider, proposal)


# --- naming -----------------------------------------------------------------------------------------


def test_naming_a_registered_partner_emails_each_of_its_members_once_with_a_link(
    session: Session, world: Consortium
) -> None:
    row = _partnership(session, world)
    assert row.status == "asked" and row.naming_count == 1 and row.named_by_id == world.lead_user.id
    mails = _mails(session, "partner_named")
    assert sorted(m.to_address for m in mails) == ["cor@charlie.example", "piet@charlie.example"]
    dutch = next(m for m in mails if m.language == "nl")
    assert dutch.subject == "Alpha Lead B.V. heeft uw organisatie als partner genoemd"
    assert f"http://testserver/partnerships/{row.id}" in dutch.body_text
    english = next(m for m in mails if m.language == "en")
    assert english.subject == "Alpha Lead B.V. named your organisation as a partner"
    for mail in mails:  # nothing the lead typed reaches the partner's inbox: not its role text, not its answers
        assert ROLE not in mail.body_text and SECRET not in mail.body_text
    assert not any(m.to_address == "lotte@alpha.example" for m in _mails(session, "partner_named"))
    named = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal_partner.named")).one()
    assert named.object_id == str(row.id) and named.data["organisation_id"] == world.partner.id


def test_a_partner_that_is_not_registered_is_not_asked(client: TestClient, session: Session, world: Consortium) -> None:
    before = len(_mails(session, "partner_named"))
    assert _add_partner(client, world.proposal.id, "55555555", role="Test").status_code == 422  # name required
    response = client.post(
        f"/proposals/{world.proposal.id}/consortium/partners",
        data={
            "partner_kvk_number": "55555555",
            "partner_legal_name": "Onbekend B.V.",
            "partner_role": "Test",
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 303
    assert session.scalar(select(func.count()).select_from(ProposalPartner)) == 1
    assert len(_mails(session, "partner_named")) == before


# --- what the partner sees ----------------------------------------------------------------------------


def test_before_accepting_the_partner_sees_only_what_concerns_it(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    assert submit(client, world.proposal.id).status_code == 303
    log_in(client, session, world.partner_user, now=clock.now())
    page = client.get(f"/partnerships/{row.id}")
    assert page.status_code == 200
    assert "Alpha Lead B.V. heeft Charlie Partner B.V. als partner genoemd in zijn voorstel." in page.text
    assert ROLE in page.text and "30%" in page.text and "Nog geen antwoord" in page.text
    assert "1 ingediende versie noemt uw organisatie. Accepteer om haar te lezen." in page.text
    assert SECRET not in page.text and "brief.pdf" not in page.text
    assert client.get(f"/partnerships/{row.id}/versions/1").status_code == 404
    assert client.get(f"/partnerships/{row.id}/versions/1/documents/brief").status_code == 404
    assert client.get(f"/partnerships/{row.id}/versions/1/archive").status_code == 404

    assert _answer(client, row.id, "accept").status_code == 303
    page = client.get(f"/partnerships/{row.id}?saved=answer")
    assert "Uw antwoord is opgeslagen." in page.text and "Neemt deel" in page.text
    assert f'href="/partnerships/{row.id}/versions/1"' in page.text
    version = client.get(f"/partnerships/{row.id}/versions/1")
    assert version.status_code == 200
    assert SECRET in version.text and "Ingediend door Alpha Lead B.V." in version.text
    assert 'name="csrf_token"' not in _main(version)  # read-only
    document = client.get(f"/partnerships/{row.id}/versions/1/documents/brief")
    assert document.status_code == 200 and document.headers["content-disposition"].startswith("attachment")
    assert f'href="/partnerships/{row.id}/versions/1/archive"' in version.text
    archive = client.get(f"/partnerships/{row.id}/versions/1/archive")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert "receipt.json" in names and any(name.endswith("brief.pdf") or "brief" in name for name in names)
    assert SECRET in zipfile.ZipFile(io.BytesIO(archive.content)).read("antwoorden.txt").decode()
    assert client.get(f"/partnerships/{row.id}/versions/2").status_code == 404
    assert client.get(f"/partnerships/{row.id}/versions/2/archive").status_code == 404
    accepted = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal_partner.accepted")).one()
    assert accepted.actor_id == world.partner_user.id


def test_a_version_that_does_not_name_the_partner_stays_hidden_from_it(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    assert _remove_partner(client, world.proposal.id).status_code == 303
    assert _shares(client, world.proposal.id, lead_share="100").status_code == 303
    assert submit(client, world.proposal.id).status_code == 303  # version 1 without Charlie
    assert _add_partner(client, world.proposal.id, "30000003").status_code == 303
    assert _shares(client, world.proposal.id, lead_share="70", partner_0_share="30", partner_0_role=ROLE).status_code
    log_in(client, session, world.partner_user, now=clock.now())
    assert _answer(client, row.id, "accept").status_code == 303
    log_in(client, session, world.lead_user, now=clock.now())
    assert submit(client, world.proposal.id, key="k2").status_code == 303  # version 2 with Charlie
    log_in(client, session, world.partner_user, now=clock.now())
    assert client.get(f"/partnerships/{row.id}/versions/1").status_code == 404
    assert client.get(f"/partnerships/{row.id}/versions/2").status_code == 200
    page = client.get(f"/partnerships/{row.id}")
    assert f"/partnerships/{row.id}/versions/1" not in page.text


def test_a_removed_partner_loses_access_to_what_it_accepted(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    assert submit(client, world.proposal.id).status_code == 303
    log_in(client, session, world.partner_user, now=clock.now())
    assert _answer(client, row.id, "accept").status_code == 303
    assert client.get(f"/partnerships/{row.id}/versions/1").status_code == 200
    log_in(client, session, world.lead_user, now=clock.now())
    assert _remove_partner(client, world.proposal.id).status_code == 303
    log_in(client, session, world.partner_user, now=clock.now())
    assert client.get(f"/partnerships/{row.id}/versions/1").status_code == 404
    page = client.get(f"/partnerships/{row.id}")
    assert "De penvoerder heeft uw organisatie uit het consortium verwijderd." in page.text
    assert ROLE not in _main(page) and "<form" not in _main(page)
    assert _answer(client, row.id, "accept").status_code == 400
    assert _partnership(session, world).status == "removed"
    removed = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal_partner.removed")).one()
    assert removed.data["from"] == "accepted"


# --- declining ------------------------------------------------------------------------------------


def test_a_declined_partner_blocks_submission_until_the_lead_removes_it(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    log_in(client, session, world.partner_user, now=clock.now())
    assert _answer(client, row.id, "decline", reason="Wij kennen Alpha niet").status_code == 303
    assert _partnership(session, world).status == "declined"
    declined = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal_partner.declined")).one()
    assert declined.data["reason"] == "Wij kennen Alpha niet" and declined.actor_id == world.partner_user.id
    told = _mails(session, "partner_declined")
    assert [m.to_address for m in told] == ["lotte@alpha.example"]
    assert told[0].subject == f"Charlie Partner B.V. neemt niet deel aan voorstel {world.proposal.reference}"
    assert "Wij kennen Alpha niet" not in told[0].body_text
    assert f"http://testserver/proposals/{world.proposal.id}/consortium" in told[0].body_text

    log_in(client, session, world.lead_user, now=clock.now())
    consortium = client.get(f"/proposals/{world.proposal.id}/consortium")
    assert "Charlie Partner B.V. heeft op" in consortium.text and "<q>Wij kennen Alpha niet</q>" in consortium.text
    assert '<span class="badge badge-closed">Afgewezen</span>' in consortium.text
    assert "piet@charlie.example" not in consortium.text  # the organisation answers, not a person the lead sees
    overview = client.get(f"/proposals/{world.proposal.id}")
    assert "Een partner neemt niet deel" in overview.text and "<q>Wij kennen Alpha niet</q>" in overview.text
    refused = submit(client, world.proposal.id)
    assert refused.status_code == 422
    message = "Charlie Partner B.V. neemt niet deel. Verwijder deze partner uit het consortium voordat u indient."
    assert message in refused.text
    assert session.scalar(select(func.count()).select_from(ProposalVersion)) == 0

    assert _remove_partner(client, world.proposal.id).status_code == 303
    assert _shares(client, world.proposal.id, lead_share="100").status_code == 303
    assert submit(client, world.proposal.id, key="after").status_code == 303
    assert "Een partner neemt niet deel" not in client.get(f"/proposals/{world.proposal.id}").text


def test_a_partner_that_declines_after_submission_blocks_an_amendment_not_the_standing_version(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    assert submit(client, world.proposal.id).status_code == 303
    log_in(client, session, world.partner_user, now=clock.now())
    assert _answer(client, row.id, "decline").status_code == 303
    log_in(client, session, world.lead_user, now=clock.now())
    session.expire_all()
    assert session.get(Proposal, world.proposal.id).status == "submitted"  # type: ignore[union-attr]
    overview = client.get(f"/proposals/{world.proposal.id}")
    assert "Er is geen reden opgegeven." in overview.text
    assert submit(client, world.proposal.id, key="amend").status_code == 422


def test_a_partner_that_declined_and_is_named_again_is_asked_again_up_to_the_limit(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row_id = _partnership(session, world).id
    for naming in (2, 3):
        log_in(client, session, world.partner_user, now=clock.now())
        assert _answer(client, row_id, "decline", reason="Nee").status_code == 303
        log_in(client, session, world.lead_user, now=clock.now())
        assert _remove_partner(client, world.proposal.id).status_code == 303
        assert _add_partner(client, world.proposal.id, "30000003").status_code == 303
        row = _partnership(session, world)
        assert (row.id, row.status, row.naming_count, row.reason, row.responded_at) == (
            row_id,
            "asked",
            naming,
            "",
            None,
        )
        assert len(_mails(session, "partner_named")) == 2 * naming  # two members, once per naming
        assert submit(client, world.proposal.id, key=f"k{naming}").status_code == 422  # shares not set again
    assert _remove_partner(client, world.proposal.id).status_code == 303
    refused = _add_partner(client, world.proposal.id, "30000003")
    assert refused.status_code == 422
    assert "Deze organisatie is al 3 keer in dit voorstel genoemd; zij kan niet opnieuw worden genoemd." in refused.text
    assert len(_mails(session, "partner_named")) == 6
    session.expire_all()
    assert session.get(Proposal, world.proposal.id).draft["partners"] == []  # type: ignore[union-attr]
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal_partner.asked")).all() != []


def test_changing_the_answer_back_and_forth_tells_the_lead_once_per_naming(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    log_in(client, session, world.partner_user, now=clock.now())
    for verb in ("decline", "accept", "decline", "accept", "decline"):
        assert _answer(client, row.id, verb).status_code == 303
    assert len(_mails(session, "partner_declined")) == 1
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "proposal_partner").order_by(AuditEvent.id)
    ).all()
    assert actions == ["proposal_partner.named"] + [
        f"proposal_partner.{s}" for s in ("declined", "accepted", "declined", "accepted", "declined")
    ]


def test_the_same_answer_twice_changes_nothing(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    log_in(client, session, world.partner_user, now=clock.now())
    assert _answer(client, row.id, "accept").status_code == 303
    assert _answer(client, row.id, "accept").status_code == 303
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("%accepted"))) == 1


def test_a_reason_that_is_too_long_is_refused_at_the_field_and_kept(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    log_in(client, session, world.partner_user, now=clock.now())
    response = _answer(client, row.id, "decline", reason="x" * 1001)
    assert response.status_code == 422
    assert 'id="reason-error"' in response.text and "Gebruik hoogstens 1000 tekens." in response.text
    assert "x" * 1001 in response.text
    assert _partnership(session, world).status == "asked"
    assert _mails(session, "partner_declined") == []


def test_after_the_deadline_the_answer_cannot_change(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    stage_deadline = session.get(Proposal, world.proposal.id).stage_id  # type: ignore[union-attr]
    from app.challenges.models import ChallengeStage

    stage = session.get(ChallengeStage, stage_deadline)
    assert stage is not None
    clock.set(stage.deadline_at + timedelta(minutes=1))
    log_in(client, session, world.partner_user, now=clock.now())
    response = _answer(client, row.id, "decline", reason="Te laat")
    assert response.status_code == 422
    assert "De deadline van" in response.text
    assert _partnership(session, world).status == "asked"
    page = client.get(f"/partnerships/{row.id}")
    assert "De deadline is verstreken: uw antwoord kan niet meer veranderen." in page.text
    assert f'/partnerships/{row.id}/decline"' not in page.text


# --- who may ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["lead", "outsider", "evaluator"])
def test_nobody_but_the_partners_members_reaches_its_pages(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium, who: str
) -> None:
    row = _partnership(session, world)
    assert submit(client, world.proposal.id).status_code == 303
    log_in(client, session, world.partner_user, now=clock.now())
    assert _answer(client, row.id, "accept").status_code == 303
    user = {
        "lead": world.lead_user,
        "outsider": world.outsider,
        "evaluator": create_user(session, email="eva@mindef.example", roles=("evaluator",))
        if who == "evaluator"
        else None,
    }[who]
    log_in(client, session, user, now=clock.now())
    for path in ("", "/versions/1", "/versions/1/documents/brief", "/versions/1/archive"):
        response = client.get(f"/partnerships/{row.id}{path}")
        assert response.status_code == 404, path
        assert SECRET not in response.text and "Charlie" not in response.text
    assert _answer(client, row.id, "decline", reason="Sabotage").status_code == 404
    assert _partnership(session, world).status == "accepted"
    listing = client.get("/partnerships")
    assert listing.status_code == 200 and "Alpha Lead" not in listing.text
    assert "Geen enkele organisatie heeft een van uw organisaties als partner genoemd." in listing.text


def test_anonymous_visitors_are_sent_to_log_in(client: TestClient, session: Session, world: Consortium) -> None:
    row = _partnership(session, world)
    client.cookies.clear()
    for path in ("/partnerships", f"/partnerships/{row.id}", f"/partnerships/{row.id}/versions/1"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path


# --- the pages in their states ------------------------------------------------------------------------


def test_the_partner_list_shows_each_answer(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    log_in(client, session, world.partner_user, now=clock.now())
    listing = client.get("/partnerships")
    assert f'<a href="/partnerships/{row.id}">{world.proposal.reference}</a>' in listing.text
    assert "Alpha Lead B.V." in listing.text and "Nog geen antwoord" in listing.text
    assert _answer(client, row.id, "decline").status_code == 303
    assert '<span class="badge badge-closed">Afgewezen</span>' in client.get("/partnerships").text
    assert client.get("/proposals").text.count('href="/partnerships"') == 1


def test_the_consortium_page_shows_an_accepted_partner_and_no_notice(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    row = _partnership(session, world)
    log_in(client, session, world.partner_user, now=clock.now())
    assert _answer(client, row.id, "accept").status_code == 303
    log_in(client, session, world.lead_user, now=clock.now())
    page = client.get(f"/proposals/{world.proposal.id}/consortium")
    assert '<span class="badge badge-open">Neemt deel</span>' in page.text
    assert "Een partner neemt niet deel" not in page.text
    assert "Afgewezen" not in client.get(f"/proposals/{world.proposal.id}").text


def test_the_consortium_page_without_partners_shows_no_answers(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="solo@solo.example", name="Solo B.V.", kvk="70000007", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    page = client.get(f"/proposals/{proposal.id}/consortium")
    assert page.status_code == 200
    assert "badge" not in _main(page) and "Een partner neemt niet deel" not in page.text


# --- limits through the service ---------------------------------------------------------------------


def test_a_proposal_names_registered_organisations_a_bounded_number_of_times(
    session: Session, clock: FrozenClock, world: Consortium, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.errors import ValidationFailed
    from app.proposals.drafts import service as draft_service
    from tests.factories import LINKS

    monkeypatch.setattr(partner_service, "MAX_NAMINGS_PER_PROPOSAL", 2)
    actor = Actor(world.lead_user.id, label=world.lead_user.email)
    create_company(session, email="o@delta.example", name="Delta B.V.", kvk="40000004", at=clock.now())
    session.expire_all()
    proposal = session.get(Proposal, world.proposal.id)
    assert proposal is not None
    values = {"partner_kvk_number": "40000004", "partner_role": "Test"}
    draft_service.add_partner(session, proposal=proposal, values=values, actor=actor, now=clock.now(), links=LINKS)
    _, third = create_company(session, email="e@echo.example", name="Echo B.V.", kvk="50000005", at=clock.now())
    values = {"partner_kvk_number": "50000005", "partner_role": "Test"}
    with pytest.raises(ValidationFailed) as refused:
        draft_service.add_partner(session, proposal=proposal, values=values, actor=actor, now=clock.now(), links=LINKS)
    assert refused.value.errors[0].path == "partner_kvk_number"
    assert [p["legal_name"] for p in proposal.draft["partners"]] == ["Charlie Partner B.V.", "Delta B.V."]
    assert third.id not in {row.organisation_id for row in session.scalars(select(ProposalPartner))}
    assert {m.to_address for m in _mails(session, "partner_named")} == {
        "piet@charlie.example",
        "cor@charlie.example",
        "o@delta.example",
    }


def test_every_partner_that_declined_is_named_in_the_refusal(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    delta_user, delta = create_company(
        session, email="d@delta.example", name="Delta B.V.", kvk="40000004", at=clock.now()
    )
    log_in(client, session, world.lead_user, now=clock.now())
    assert _add_partner(client, world.proposal.id, "40000004").status_code == 303
    shares = {"lead_share": "40", "partner_0_share": "30", "partner_1_share": "30"}
    assert _shares(client, world.proposal.id, **shares, partner_0_role=ROLE, partner_1_role="Test").status_code == 303
    for user, organisation in ((world.partner_user, world.partner), (delta_user, delta)):
        row = session.scalar(select(ProposalPartner).where(ProposalPartner.organisation_id == organisation.id))
        assert row is not None
        log_in(client, session, user, now=clock.now())
        assert _answer(client, row.id, "decline").status_code == 303
    log_in(client, session, world.lead_user, now=clock.now())
    refused = submit(client, world.proposal.id)
    assert refused.status_code == 422
    for name in ("Charlie Partner B.V.", "Delta B.V."):
        assert f"{name} neemt niet deel. Verwijder deze partner uit het consortium voordat u indient." in refused.text


def test_an_invitation_to_the_next_stage_asks_the_registered_partners_again(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from app.proposals.submissions import service as submission_service
    from tests.factories import LINKS, definition_data

    base = definition_data()["stages"][0]
    second = {**base, "key": "full", "opens_at": "2027-03-15T09:00:00", "deadline": "2027-05-28T17:00:00"}
    challenge = create_challenge(session, stages=[base, {**second, "invitation_only": True}])
    now = clock.now()
    lead_user, lead = create_company(session, email="l@lead.example", name="Lead B.V.", kvk="10000001", at=now)
    _, partner = create_company(session, email="p@partner.example", name="Partner B.V.", kvk="30000003", at=now)
    act_for(client, session, lead_user, lead, now=now)
    proposal = ready_proposal(client, session, challenge.slug)
    assert _add_partner(client, proposal.id, "30000003").status_code == 303
    assert _shares(client, proposal.id, lead_share="60", partner_0_share="40", partner_0_role=ROLE).status_code == 303
    assert submit(client, proposal.id).status_code == 303
    session.expire_all()
    invited = submission_service.invite_to_stage(
        session,
        proposal=session.get(Proposal, proposal.id),
        stage=challenge.stages[1],  # type: ignore[arg-type]
        actor=Actor.system(),
        now=now,
        links=LINKS,
    )
    session.commit()
    row = session.scalar(select(ProposalPartner).where(ProposalPartner.proposal_id == invited.id))
    assert row is not None and (row.organisation_id, row.status) == (partner.id, "asked")
    bodies = [m.body_text for m in _mails(session, "partner_named")]
    assert len(bodies) == 2 and f"http://testserver/partnerships/{row.id}" in bodies[1]


# --- two members editing the consortium at once -------------------------------------------------------------


def _add_unregistered(client: TestClient, proposal_id: int, kvk: str, name: str) -> Any:
    data = {"partner_kvk_number": kvk, "partner_legal_name": name, "partner_role": "Test", "csrf_token": csrf(client)}
    return client.post(f"/proposals/{proposal_id}/consortium/partners", data=data)


def _draft_partners(session: Session, world: Consortium) -> list[dict[str, Any]]:
    session.expire_all()
    proposal = session.get(Proposal, world.proposal.id)
    assert proposal is not None
    return list((proposal.draft or {}).get("partners", []))


def _consortium_form(client: TestClient, proposal_id: int) -> str:
    return client.get(f"/proposals/{proposal_id}/consortium").text


def _keys(page: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="partner" value="([^"]+)">', page)


def test_a_removal_from_an_old_page_removes_the_partner_it_showed_or_nothing(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    """Member A's page lists Charlie (0) and Delta (1); member B removes Charlie and adds Echo. A's "Remove Delta"
    (index 1) must remove Delta, not Echo, which now stands at index 1; A's "Remove Charlie" then changes nothing."""
    assert _add_unregistered(client, world.proposal.id, "87654321", "Delta B.V.").status_code == 303
    old_page = _consortium_form(client, world.proposal.id)
    keys = _keys(old_page)
    assert len(keys) == 2
    assert _remove_partner(client, world.proposal.id, 0).status_code == 303  # B removes Charlie
    assert _add_unregistered(client, world.proposal.id, "11223344", "Echo B.V.").status_code == 303  # B adds Echo
    names = [p["kvk_number"] for p in _draft_partners(session, world)]
    assert names == ["87654321", "11223344"]

    remove_delta = client.post(
        f"/proposals/{world.proposal.id}/consortium/partners/1/remove",
        data={"partner": keys[1], "csrf_token": csrf(client)},
    )
    assert remove_delta.status_code == 303 and "gone" not in remove_delta.headers["location"]
    assert [p["kvk_number"] for p in _draft_partners(session, world)] == ["11223344"]

    remove_charlie = client.post(
        f"/proposals/{world.proposal.id}/consortium/partners/0/remove",
        data={"partner": keys[0], "csrf_token": csrf(client)},
    )
    assert remove_charlie.status_code == 303 and remove_charlie.headers["location"].endswith("?gone=partner")
    assert [p["kvk_number"] for p in _draft_partners(session, world)] == ["11223344"]
    page = client.get(remove_charlie.headers["location"]).text
    assert "Die partner was al verwijderd door een ander lid: er is niets gewijzigd." in page


def test_shares_from_an_old_page_go_to_the_partners_they_were_typed_for(
    client: TestClient, session: Session, clock: FrozenClock, world: Consortium
) -> None:
    assert _add_unregistered(client, world.proposal.id, "87654321", "Delta B.V.").status_code == 303
    keys = re.findall(r'name="partner_(\d+)_key" value="([^"]+)"', _consortium_form(client, world.proposal.id))
    assert [index for index, _key in keys] == ["0", "1"]
    assert _remove_partner(client, world.proposal.id, 0).status_code == 303  # meanwhile Charlie is removed
    form = {
        "lead_role": "Hoofdaannemer",
        "lead_share": "60",
        "partner_0_key": keys[0][1],
        "partner_0_role": "Voor Charlie",
        "partner_0_share": "10",
        "partner_1_key": keys[1][1],
        "partner_1_role": "Voor Delta",
        "partner_1_share": "30",
    }
    assert _shares(client, world.proposal.id, **form).status_code in (303, 422)
    partners = _draft_partners(session, world)
    assert [(p["kvk_number"], p["role"], p["share"]) for p in partners] == [("87654321", "Voor Delta", "30")]

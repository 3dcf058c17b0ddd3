"""Ownership and control on the security-assessment page: every consortium member's ultimate parent and its
country as the submitted version froze them, flagged when control sits outside the EU/EEA or is unknown.

The proposal is made and submitted through the services a company uses, with organisations registered through
the organisation form, so the page shows what a real submission stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.clock import FrozenClock
from app.organisations import ownership
from app.organisations import service as organisation_service
from app.organisations.models import Organisation
from app.organisations.schemas import parse_organisation
from app.proposals.documents import service as document_service
from app.proposals.drafts import service as draft_service
from app.proposals.models import Proposal, ProposalVersion
from app.proposals.submissions import receipts
from app.proposals.submissions import service as submission_service
from app.storage import LocalBlobStore
from tests.evaluations.helpers import RECEIVED, Scenario, actor, after_deadline, build_scenario, post
from tests.evaluations.test_scoring import _assigned
from tests.factories import LINKS, create_user, log_in
from tests.markup import without_labels
from tests.organisations.helpers import create_organisation, form_data
from tests.pdfs import pdf_bytes
from tests.proposals.helpers import act_for


@dataclass
class Consortium:
    s: Scenario
    lead: Organisation
    proposal: Proposal
    version: ProposalVersion | None
    user: Any


def _registered(session: Session, user: Any, **overrides: Any) -> Organisation:
    return create_organisation(session, user, now=RECEIVED, **overrides)


def _submit(session: Session, s: Scenario, store: LocalBlobStore) -> Consortium:
    """Lead Alfa (group, parent in the United States), partners: Bravo (independent, Germany), Charlie (named by
    KvK number, not registered), Delta (registered before ownership was asked: not declared)."""
    user = create_user(session, email="lead@alfa.example", name="Lead")
    lead = _registered(
        session,
        user,
        legal_name="Alfa Sensoren B.V.",
        kvk_number="61000001",
        ownership="group",
        parent_name="Overseas Holding Inc.",
        parent_country="US",
    )
    other = create_user(session, email="bravo@bravo.example", name="Bravo")
    _registered(
        session,
        other,
        legal_name="Bravo Optik GmbH",
        country="DE",
        kvk_number="",
        registry_id="HRB 4711",
    )
    delta = Organisation(legal_name="Delta Oud B.V.", kvk_number="61000004", country="NL", created_at=RECEIVED)
    session.add(delta)
    session.commit()
    who = Actor(user.id, label=user.email)
    proposal = draft_service.start_proposal(
        session, challenge=s.challenge, stage=s.stage, organisation=lead, user=user, actor=who, now=RECEIVED
    )
    draft_service.save_answers(
        session, proposal=proposal, values={"q_summary": "Passieve radar.", "trl": "5"}, actor=who, now=RECEIVED
    )
    for values in (
        {"partner_country": "DE", "partner_registry_id": "HRB 4711", "partner_role": "Optiek"},
        {"partner_kvk_number": "61000003", "partner_legal_name": "Charlie Onbekend B.V.", "partner_role": "Software"},
        {"partner_kvk_number": "61000004", "partner_role": "Productie"},
    ):
        draft_service.add_partner(session, proposal=proposal, values=values, actor=who, now=RECEIVED, links=LINKS)
    shares = {"lead_role": "Integratie", "lead_share": "40"}
    shares.update({f"partner_{i}_role": role for i, role in enumerate(("Optiek", "Software", "Productie"))})
    shares.update({f"partner_{i}_share": "20" for i in range(3)})
    assert draft_service.save_shares(session, proposal=proposal, values=shares, actor=who, now=RECEIVED) == []
    data = pdf_bytes(pages=1)
    document = document_service.StoredDocument(
        sha256=store.put_bytes(data),
        size_bytes=len(data),
        original_name="brief.pdf",
        kind="pdf",
        media_type="application/pdf",
        pages=1,
    )
    document_service.attach_document(
        session, proposal=proposal, question_key="brief", document=document, actor=who, now=RECEIVED
    )
    version = submission_service.submit_proposal(
        session,
        proposal=proposal,
        declarations={"unclassified", "truthful", "consent"},
        idempotency_key="k1",
        store=store,
        user=user,
        actor=who,
        now=RECEIVED,
        links=LINKS,
    )
    session.commit()
    s.proposals.append(proposal)
    return Consortium(s, lead, proposal, version, user)


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_submission_freezes_every_members_ownership_into_the_receipt(
    session: Session, clock: FrozenClock, store: LocalBlobStore
) -> None:
    c = _submit(session, build_scenario(session, proposals=0, evaluators=1), store)
    assert c.version is not None
    assert c.version.content["ownership"] == {
        "lead": {
            "registered": True,
            "ownership": "group",
            "parent_name": "Overseas Holding Inc.",
            "parent_country": "US",
        },
        "partners": [
            {"registered": True, "ownership": "independent", "parent_name": None, "parent_country": None},
            {"registered": False, "ownership": None, "parent_name": None, "parent_country": None},
            {"registered": True, "ownership": None, "parent_name": None, "parent_country": None},
        ],
    }
    # The receipt covers it: other ownership data would give another receipt.
    changed = {**c.version.content, "ownership": {**c.version.content["ownership"], "lead": {"registered": True}}}
    assert receipts.receipt_hash(changed, number=1, received_at=RECEIVED) != c.version.receipt_hash
    assert receipts.receipt_hash(c.version.content, number=1, received_at=RECEIVED) == c.version.receipt_hash


def _move_parent_home(session: Session, c: Consortium) -> None:
    """After submission the lead says its parent is Dutch: the version keeps what was submitted."""
    form, errors = parse_organisation(
        form_data(
            legal_name="Alfa Sensoren B.V.",
            kvk_number="61000001",
            ownership="group",
            parent_name="Nederlandse Moeder B.V.",
            parent_country="NL",
        )
    )
    assert form is not None, errors
    organisation_service.update_organisation(
        session, organisation_id=c.lead.id, form=form, user=c.user, actor=actor(c.user), now=RECEIVED
    )
    session.commit()


def _ownership_section(text: str) -> str:
    start = text.index('id="ownership"')
    return without_labels(text[start : text.index("</table>", start)])


def _open_security_page(client: TestClient, session: Session, clock: FrozenClock, c: Consortium) -> Any:
    after_deadline(clock)
    assignment = _assigned(session, c.s, clock)
    log_in(client, session, c.s.evaluators[0], now=clock.now())
    assert (
        post(client, f"/evaluate/assignments/{assignment.id}/declaration", {"has_conflict": "none"}).status_code == 303
    )
    return client.get(f"/evaluate/assignments/{assignment.id}/security")


def _row(section: str, number: int) -> str:
    start = section.index(f'id="member-{number}"')
    return section[start : section.index("</tr>", start)]


def test_assessment_page_shows_the_frozen_ownership_and_flags_non_eu_and_unknown(
    client: TestClient, session: Session, clock: FrozenClock, store: LocalBlobStore
) -> None:
    c = _submit(session, build_scenario(session, proposals=0, evaluators=1), store)
    _move_parent_home(session, c)
    page = _open_security_page(client, session, clock, c)
    assert page.status_code == 200
    section = _ownership_section(page.text)
    assert "Bij 3 leden van het consortium ligt de zeggenschap buiten de EU/EER of is het eigendom onbekend." in section
    lead = _row(section, 0)
    assert "Penvoerder: Alfa Sensoren B.V." in lead
    assert "Overseas Holding Inc. (Verenigde Staten)" in lead
    assert "Buiten de EU/EER" in lead
    assert "Nederlandse Moeder" not in page.text  # changed after submission: not what was assessed
    bravo = _row(section, 1)
    assert "Partner 1: Bravo Optik GmbH" in bravo
    assert "Geen: geen ander bedrijf heeft zeggenschap over de organisatie" in bravo
    assert "<td>Duitsland</td>" in bravo and "<td>EU/EER</td>" in bravo
    charlie = _row(section, 2)
    assert "Onbekend: de partner is niet geregistreerd in het portaal" in charlie
    assert "<td>Onbekend</td>" in charlie and "Eigendom onbekend" in charlie
    delta = _row(section, 3)
    assert "Onbekend: niet opgegeven door de organisatie" in delta and "Eigendom onbekend" in delta


def test_assessment_page_without_flags_has_no_attention_notice(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=0, evaluators=1)
    user = create_user(session, email="lead@noord.example", name="Lead")
    lead = _registered(
        session, user, kvk_number="62000001", ownership="group", parent_name="Nordic Defence AS", parent_country="NO"
    )
    from tests.evaluations.helpers import content_for

    proposal = Proposal(
        challenge_id=s.challenge.id,
        stage_id=s.stage.id,
        organisation_id=lead.id,
        status="submitted",
        draft={},
        version_count=1,
        created_at=RECEIVED,
        updated_at=RECEIVED,
        submitted_at=RECEIVED,
    )
    session.add(proposal)
    session.flush()
    content = content_for(proposal, lead, s.challenge, s.stage)
    content["ownership"] = {"lead": ownership.frozen(lead), "partners": []}
    session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            number=1,
            kind="submit",
            challenge_version=1,
            content=content,
            receipt_hash="c" * 64,
            received_at=RECEIVED,
            idempotency_key="n1",
        )
    )
    session.commit()
    s.proposals.append(proposal)
    page = _open_security_page(client, session, clock, Consortium(s, lead, proposal, None, user))
    section = _ownership_section(page.text)
    assert 'id="ownership-attention"' not in page.text
    assert "Nordic Defence AS (Noorwegen)" in _row(section, 0) and "<td>EU/EER</td>" in _row(section, 0)


def test_assessment_page_of_a_version_without_ownership_data_shows_every_member_unknown(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)  # stored as versions were before ownership was kept
    page = _open_security_page(client, session, clock, Consortium(s, s.organisations[0], s.proposals[0], None, None))
    section = _ownership_section(page.text)
    assert "Bij 1 lid van het consortium ligt de zeggenschap buiten de EU/EER of is het eigendom onbekend." in section
    assert "Niet vastgelegd in deze versie (ingediend voordat eigendom werd vastgelegd)" in _row(section, 0)
    assert "Eigendom onbekend" in _row(section, 0)


def test_blind_assessment_page_names_no_parent_and_no_member(
    client: TestClient, session: Session, clock: FrozenClock, store: LocalBlobStore
) -> None:
    c = _submit(session, build_scenario(session, proposals=0, evaluators=1, blind=True), store)
    page = _open_security_page(client, session, clock, c)
    assert page.status_code == 200
    section = _ownership_section(page.text)
    assert "Overseas Holding" not in page.text
    for name in ("Alfa Sensoren", "Bravo Optik", "Charlie Onbekend", "Delta Oud"):
        assert name not in section
    lead = _row(section, 0)
    assert "Penvoerder</th>" in lead
    assert "Een moedermaatschappij (Verenigde Staten)" in lead and "Buiten de EU/EER" in lead


def test_receipt_page_shows_the_ownership_the_version_holds(
    client: TestClient, session: Session, clock: FrozenClock, store: LocalBlobStore
) -> None:
    c = _submit(session, build_scenario(session, proposals=0, evaluators=1), store)
    _move_parent_home(session, c)
    clock.set(RECEIVED)
    act_for(client, session, c.user, c.lead, now=clock.now())
    page = client.get(f"/proposals/{c.proposal.id}/versions/1")
    assert page.status_code == 200
    section = page.text[page.text.index('id="ownership-heading"') :]
    section = " ".join(section[: section.index("</ul>")].split())
    assert "Alfa Sensoren B.V.: uiteindelijke moedermaatschappij Overseas Holding Inc. (US)" in section
    assert "Bravo Optik GmbH: geen ander bedrijf heeft er zeggenschap over" in section
    assert "Charlie Onbekend B.V.: niet geregistreerd in het portaal: eigendom onbekend" in section
    assert "Delta Oud B.V.: eigendom niet opgegeven" in section
    assert "Nederlandse Moeder" not in page.text

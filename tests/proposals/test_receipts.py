"""The receipt (pure), and the stored shape of a working copy and of the versions made from it.

A working copy is stored as JSON in ``proposal.draft`` and every version's content as JSON too: rows written
by earlier releases must load, and a version's receipt must recompute, so both shapes are pinned here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.clock import FrozenClock
from app.proposals.documents import service as document_service
from app.proposals.drafts import service as draft_service
from app.proposals.drafts.schemas import ProposalDraft
from app.proposals.models import Proposal
from app.proposals.submissions import receipts
from app.proposals.submissions import service as submission_service
from app.storage import LocalBlobStore
from tests.factories import LINKS, create_challenge
from tests.pdfs import pdf_bytes
from tests.proposals.helpers import GOOD_ANSWERS, act_for, all_types_stage, create_company, save

RECEIVED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CONTENT: dict[str, Any] = {
    "proposal": "P-000042",
    "answers": {"range_km": "12.5", "tested": True, "sensors": ["radar"]},
    "documents": {"brief": {"sha256": "ab" * 32, "name": "brief.pdf"}},
}
# The working copy after the answers, one partner and the shares, as SQLite stores it (key order included).
STORED_DRAFT = (
    '{"answers": {"name": "SkyNet Light", "summary": "Detects small drones early", "range_km": "12,5", '
    '"domain": "land", "sensors": ["radar"], "tested": "yes", "demo": "2027-03-01"}, "trl": "6", '
    '"lead": {"role": "Integratie", "share": "70"}, "partners": [{"organisation_id": null, '
    '"legal_name": "Partner B.V.", "kvk_number": "44444444", "country": "NL", "registry_id": null, '
    '"role": "Sensoren", "share": "30"}]}'
)


@pytest.fixture
def blobs(tmp_path: Any) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_receipt_hash_is_pinned_to_content_version_and_time_of_receipt() -> None:
    expected = "17197af26ffd0cba7bb416e4bec1d450ad3c3bab9b74d4d318fd7e55d438f24e"
    assert receipts.receipt_hash(CONTENT, number=2, received_at=RECEIVED) == expected
    assert receipts.receipt_hash(CONTENT, number=3, received_at=RECEIVED) != expected
    assert receipts.receipt_hash(CONTENT, number=2, received_at=RECEIVED.replace(second=1)) != expected
    changed = {**CONTENT, "answers": {**CONTENT["answers"], "tested": False}}
    assert receipts.receipt_hash(changed, number=2, received_at=RECEIVED) != expected


def _raw(session: Session, column: str, table: str, row_id: int) -> str:
    return str(
        session.execute(text(f"SELECT CAST({column} AS TEXT) FROM {table} WHERE id = :id"), {"id": row_id}).scalar_one()
    )


def test_working_copy_and_version_keep_their_stored_shape(
    session: Session, clock: FrozenClock, blobs: LocalBlobStore, db_kind: str
) -> None:
    now = clock.now()
    challenge = create_challenge(session, stages=all_types_stage())
    user, organisation = create_company(session, email="lead@alpha.example", name="Alpha B.V.", kvk="12345678", at=now)
    actor = Actor(user.id, label=user.email)
    proposal = draft_service.start_proposal(
        session,
        challenge=challenge,
        stage=challenge.stages[0],
        organisation=organisation,
        user=user,
        actor=actor,
        now=now,
    )
    draft_service.save_answers(session, proposal=proposal, values=dict(GOOD_ANSWERS), actor=actor, now=now)
    partner = {"partner_kvk_number": "4444 4444", "partner_legal_name": "Partner B.V.", "partner_role": "Sensoren"}
    draft_service.add_partner(session, proposal=proposal, values=partner, actor=actor, now=now, links=LINKS)
    shares = {"lead_role": "Integratie", "lead_share": "70", "partner_0_role": "Sensoren", "partner_0_share": "30"}
    assert draft_service.save_shares(session, proposal=proposal, values=shares, actor=actor, now=now) == []
    data = pdf_bytes(pages=2)
    document = document_service.StoredDocument(
        sha256=blobs.put_bytes(data),
        size_bytes=len(data),
        original_name="brief.pdf",
        kind="pdf",
        media_type="application/pdf",
        pages=2,
    )
    document_service.attach_document(
        session, proposal=proposal, question_key="brief", document=document, actor=actor, now=now
    )
    session.commit()

    stored = _raw(session, "draft", "proposal", proposal.id)
    if db_kind == "sqlite":
        assert stored == STORED_DRAFT
    assert json.loads(stored) == json.loads(STORED_DRAFT)

    version = submission_service.submit_proposal(
        session,
        proposal=proposal,
        declarations={"unclassified", "truthful", "consent"},
        idempotency_key="k",
        store=blobs,
        user=user,
        actor=actor,
        now=now,
        links=LINKS,
    )
    session.commit()
    content = {
        "proposal": proposal.reference,
        "challenge": challenge.slug,
        "challenge_version": 1,
        "stage": "brief",
        "organisation": {
            "id": organisation.id,
            "legal_name": "Alpha B.V.",
            "kvk_number": "12345678",
            "country": "NL",
            "registry_id": None,
        },
        "lead": {"role": "Integratie", "share": 70},
        "partners": [
            {
                "organisation_id": None,
                "legal_name": "Partner B.V.",
                "kvk_number": "44444444",
                "country": "NL",
                "registry_id": None,
                "role": "Sensoren",
                "share": 30,
            }
        ],
        "ownership": {
            "lead": {"registered": True, "ownership": None, "parent_name": None, "parent_country": None},
            "partners": [{"registered": False, "ownership": None, "parent_name": None, "parent_country": None}],
        },
        "trl": 6,
        "answers": {
            "name": "SkyNet Light",
            "summary": "Detects small drones early",
            "range_km": "12.5",
            "domain": "land",
            "sensors": ["radar"],
            "tested": True,
            "demo": "2027-03-01",
        },
        "documents": {
            "brief": {"sha256": document.sha256, "name": "brief.pdf", "size": len(data), "kind": "pdf", "pages": 2}
        },
        "declarations": ["consent", "truthful", "unclassified"],
        "sme": True,
        "new_to_defence": None,
        "publication": {"name": False},
    }
    stored_content = _raw(session, "content", "proposal_version", version.id)
    if db_kind == "sqlite":
        assert stored_content == json.dumps(content)
    assert json.loads(stored_content) == content
    signed = json.dumps(
        {"content": content, "version": 1, "received_at": now.isoformat()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert version.receipt_hash == hashlib.sha256(signed.encode()).hexdigest()


@pytest.mark.parametrize(
    "stored",
    [{}, {"answers": {"summary": "Oud concept"}}, {"trl": "4", "partners": []}],
    ids=["empty", "answers-only", "no-answers"],
)
def test_a_working_copy_stored_by_an_earlier_release_loads_and_keeps_its_shape(
    client: TestClient, session: Session, clock: FrozenClock, stored: dict[str, Any]
) -> None:
    now = clock.now()
    challenge = create_challenge(session)
    user, organisation = create_company(session, email="lead@alpha.example", name="Alpha B.V.", kvk="12345678", at=now)
    proposal = Proposal(
        challenge_id=challenge.id,
        stage_id=challenge.stages[0].id,
        organisation_id=organisation.id,
        status="draft",
        draft=stored,
        created_at=now,
        updated_at=now,
    )
    session.add(proposal)
    session.commit()
    act_for(client, session, user, organisation, now=now)
    for page in ("", "/answers", "/consortium", "/documents", "/submit"):
        assert client.get(f"/proposals/{proposal.id}{page}").status_code == 200, page
    assert save(client, proposal.id, q_summary="Nieuw concept", trl="5").status_code == 303
    session.expire_all()
    saved = session.get(Proposal, proposal.id)
    assert saved is not None
    assert saved.draft == {
        "answers": {**stored.get("answers", {}), "summary": "Nieuw concept"},
        "trl": "5",
        "lead": {"role": "", "share": ""},
        "partners": [],
    }


def test_a_stored_working_copy_round_trips_through_the_model_unchanged() -> None:
    stored = {
        "answers": {"summary": "Vroege detectie", "sensors": ["radar", "rf"]},
        "trl": "5",
        "lead": {"role": "Integratie", "share": "60"},
        "partners": [
            {
                "organisation_id": 7,
                "legal_name": "Partner B.V.",
                "kvk_number": "44444444",
                "country": "NL",
                "registry_id": None,
                "role": "Sensoren",
                "share": "40",
            }
        ],
        "declarations": ["consent"],  # a key the model does not know is kept
    }
    assert json.dumps(ProposalDraft.model_validate(stored).model_dump()) == json.dumps(stored)
    assert ProposalDraft.model_validate({"trl": 5}).trl == "5"
    assert json.dumps(ProposalDraft().model_dump()) == (
        '{"answers": {}, "trl": "", "lead": {"role": "", "share": ""}, "partners": []}'
    )

"""Proposal use cases without HTTP: counts, the standing version, re-confirmation, invitations, immutability."""

from __future__ import annotations

import copy
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.clock import FrozenClock
from app.errors import InvalidTransition
from app.notifications.models import OutboxMessage
from app.proposals import service as proposal_service
from app.proposals.documents import service as document_service
from app.proposals.drafts import service as draft_service
from app.proposals.models import Proposal, ProposalVersion
from app.proposals.submissions import receipt_check, receipts
from app.proposals.submissions import service as submission_service
from app.storage import LocalBlobStore
from tests.factories import LINKS, create_challenge, definition_data
from tests.pdfs import pdf_bytes
from tests.proposals.helpers import create_company

DECLARED = {"unclassified", "truthful", "consent"}


@pytest.fixture
def blobs(tmp_path: Any) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _actor(user: Any) -> Actor:
    return Actor(user.id, label=user.email)


def _ready(session: Session, challenge: Any, n: int, now: Any, blobs: LocalBlobStore, stage_index: int = 0) -> Any:
    user, organisation = create_company(
        session, email=f"u{n}@org{n}.example", name=f"Org{n} B.V.", kvk=f"{n:08d}", at=now
    )
    stage = challenge.stages[stage_index]
    proposal = draft_service.start_proposal(
        session, challenge=challenge, stage=stage, organisation=organisation, user=user, actor=_actor(user), now=now
    )
    draft_service.save_answers(
        session, proposal=proposal, values={"q_summary": f"Voorstel {n}", "trl": "5"}, actor=_actor(user), now=now
    )
    data = pdf_bytes(text=f"brief {n}")
    document = document_service.StoredDocument(
        sha256=blobs.put_bytes(data),
        size_bytes=len(data),
        original_name="b.pdf",
        kind="pdf",
        media_type="application/pdf",
        pages=1,
    )
    document_service.attach_document(
        session, proposal=proposal, question_key="brief", document=document, actor=_actor(user), now=now
    )
    session.commit()
    return user, proposal


def _submit(
    session: Session, proposal: Proposal, user: Any, blobs: LocalBlobStore, now: Any, key: str
) -> ProposalVersion:
    version = submission_service.submit_proposal(
        session,
        proposal=proposal,
        declarations=DECLARED,
        idempotency_key=key,
        store=blobs,
        user=user,
        actor=_actor(user),
        now=now,
        links=LINKS,
    )
    session.commit()
    return version


def test_counts_per_stage_tell_only_numbers(session: Session, clock: FrozenClock, blobs: LocalBlobStore) -> None:
    challenge = create_challenge(session)
    now = clock.now()
    user1, p1 = _ready(session, challenge, 1, now, blobs)
    user2, p2 = _ready(session, challenge, 2, now, blobs)
    _, p3 = _ready(session, challenge, 3, now, blobs)
    _submit(session, p1, user1, blobs, now, "a")
    _submit(session, p2, user2, blobs, now, "b")
    submission_service.withdraw_proposal(session, proposal=p2, actor=_actor(user2), now=now, links=LINKS)
    session.commit()
    counts = proposal_service.count_proposals(session, challenge_id=challenge.id)
    assert counts == {
        "brief": proposal_service.ProposalCounts(drafts=1, submitted=1, withdrawn=1, reconfirmation_due=0)
    }
    assert proposal_service.organisation_ids_with_proposals(session, challenge_id=challenge.id) == {
        p1.organisation_id,
        p2.organisation_id,
        p3.organisation_id,
    }


def test_the_last_version_before_the_deadline_stands(
    session: Session, clock: FrozenClock, blobs: LocalBlobStore
) -> None:
    challenge = create_challenge(session)
    user, proposal = _ready(session, challenge, 1, clock.now(), blobs)
    _submit(session, proposal, user, blobs, clock.now(), "first")
    later = clock.now() + timedelta(days=1)
    second = _submit(session, proposal, user, blobs, later, "second")
    withdrawn_user, withdrawn = _ready(session, challenge, 2, clock.now(), blobs)
    _submit(session, withdrawn, withdrawn_user, blobs, clock.now(), "w")
    submission_service.withdraw_proposal(
        session, proposal=withdrawn, actor=_actor(withdrawn_user), now=later, links=LINKS
    )
    session.commit()
    standing = proposal_service.standing_versions(session, stage_id=challenge.stages[0].id)
    assert [(v.proposal_id, v.number) for v in standing] == [(proposal.id, 2)]
    assert standing[0].id == second.id


def test_a_version_cannot_be_changed_in_the_database(
    session: Session, clock: FrozenClock, blobs: LocalBlobStore
) -> None:
    challenge = create_challenge(session)
    user, proposal = _ready(session, challenge, 1, clock.now(), blobs)
    version = _submit(session, proposal, user, blobs, clock.now(), "k")
    with pytest.raises(DBAPIError, match="immutable"), session.begin_nested():
        session.execute(text("UPDATE proposal_version SET receipt_hash = 'x' WHERE id = :id"), {"id": version.id})


def test_a_tampered_document_fails_the_receipt_check(
    session: Session, clock: FrozenClock, blobs: LocalBlobStore
) -> None:
    challenge = create_challenge(session)
    user, proposal = _ready(session, challenge, 1, clock.now(), blobs)
    version = _submit(session, proposal, user, blobs, clock.now(), "k")
    assert receipt_check.check_receipt(session, proposal=proposal, code=version.receipt_hash.upper(), store=blobs).valid
    sha = version.documents[0].sha256
    path = blobs.root / sha[:2] / sha[2:4] / sha
    path.write_bytes(path.read_bytes() + b"tampered")
    check = receipt_check.check_receipt(session, proposal=proposal, code=version.receipt_hash, store=blobs)
    assert check.version is not None and check.content_intact and not check.documents_intact and not check.valid


def test_correction_requires_reconfirmation_and_tells_members(
    session: Session, clock: FrozenClock, blobs: LocalBlobStore
) -> None:
    challenge = create_challenge(session)
    user, proposal = _ready(session, challenge, 1, clock.now(), blobs)
    _submit(session, proposal, user, blobs, clock.now(), "k")
    _ready(session, challenge, 2, clock.now(), blobs)  # a draft is not asked to re-confirm
    marked = submission_service.require_reconfirmation(
        session,
        challenge=challenge,
        reason="Criterium verduidelijkt",
        actor=Actor.system(),
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    assert marked == 1
    assert proposal_service.count_proposals(session, challenge_id=challenge.id)["brief"].reconfirmation_due == 1
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "proposal_reconfirm")).all()
    assert [m.to_address for m in mails] == [user.email] and "Criterium verduidelijkt" in mails[0].body_text
    version = submission_service.reconfirm_proposal(
        session, proposal=proposal, idempotency_key="r", user=user, actor=_actor(user), now=clock.now(), links=LINKS
    )
    session.commit()
    assert version.kind == "reconfirm" and version.number == 2 and proposal.reconfirmation_required_at is None
    assert version.content["answers"] == proposal.versions[0].content["answers"]


def test_invitation_to_the_next_stage_prefills_the_consortium(
    session: Session, clock: FrozenClock, blobs: LocalBlobStore
) -> None:
    base = definition_data()["stages"][0]
    second = {
        **base,
        "key": "full",
        "opens_at": "2027-03-15T09:00:00",
        "deadline": "2027-05-28T17:00:00",
        "invitation_only": True,
    }
    challenge = create_challenge(session, stages=[base, second])
    user, proposal = _ready(session, challenge, 1, clock.now(), blobs)
    _submit(session, proposal, user, blobs, clock.now(), "k")
    invited = submission_service.invite_to_stage(
        session, proposal=proposal, stage=challenge.stages[1], actor=Actor.system(), now=clock.now(), links=LINKS
    )
    session.commit()
    assert invited.stage_id == challenge.stages[1].id and invited.invited_at == clock.now()
    assert invited.draft["lead"] == {"role": "", "share": "100"} and invited.draft["trl"] == "5"
    again = submission_service.invite_to_stage(
        session, proposal=proposal, stage=challenge.stages[1], actor=Actor.system(), now=clock.now(), links=LINKS
    )
    assert again.id == invited.id
    assert (
        session.scalars(select(OutboxMessage).where(OutboxMessage.template == "proposal_invited")).one().to_address
        == user.email
    )


def test_receipt_covers_every_document_hash(session: Session, clock: FrozenClock, blobs: LocalBlobStore) -> None:
    """Two versions that differ only in one document's hash have different receipts."""
    challenge = create_challenge(session)
    user, proposal = _ready(session, challenge, 1, clock.now(), blobs)
    version = _submit(session, proposal, user, blobs, clock.now(), "k")
    same = copy.deepcopy(version.content)
    other = copy.deepcopy(version.content)
    other["documents"]["brief"]["sha256"] = hashlib.sha256(b"another brief").hexdigest()
    assert set(other["documents"]) == {"brief"} and other != same
    received = version.received_at
    assert receipts.receipt_hash(same, number=version.number, received_at=received) == version.receipt_hash
    assert receipts.receipt_hash(other, number=version.number, received_at=received) != version.receipt_hash


def test_withdraw_outside_the_table_is_refused_and_writes_nothing(
    session: Session, clock: FrozenClock, blobs: LocalBlobStore
) -> None:
    challenge = create_challenge(session)
    user, proposal = _ready(session, challenge, 1, clock.now(), blobs)
    session.commit()
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    mails = session.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(InvalidTransition):
        submission_service.withdraw_proposal(
            session, proposal=proposal, actor=_actor(user), now=clock.now(), links=LINKS
        )
    assert (proposal.status, proposal.withdrawn_at) == ("draft", None)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == mails

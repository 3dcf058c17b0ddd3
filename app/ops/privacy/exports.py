"""A user's own data as one ZIP: JSON files and a short README in the user's language.

Written to a temporary file entry by entry; the audit events are read and written in batches, so an account
with a long history never sits in memory whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.privacy import service as account_privacy
from app.audit.models import AuditEvent
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge
from app.i18n import N_, translate
from app.organisations.models import Membership, Organisation
from app.proposals.archives.zipping import spooled_archive
from app.proposals.models import Proposal, ProposalDocument, ProposalVersion
from app.questions.models import NotaEntry

README = N_(
    "This archive holds the personal data the portal keeps about your account (%(email)s), made on %(date)s:\n\n"
    "account.json: your account and your logins\n"
    "memberships.json: the organisations you belong to and your role in each\n"
    "proposals.json: the proposals of your organisations you took part in (started, uploaded documents to, submitted)\n"
    "questions.json: the questions you asked and their answers\n"
    "audit_events.json: the events of the audit trail about you or done by you\n\n"
    "Proposals belong to their organisation: ask its members for the whole proposal. Times are in UTC (ISO 8601).\n"
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def memberships(session: Session, *, user_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Organisation, Membership)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user_id)
        .order_by(Organisation.legal_name)
    )
    return [
        {
            "organisation_id": o.id,
            "legal_name": o.legal_name,
            "kvk_number": o.kvk_number,
            "role": m.role,
            "joined_at": _iso(m.joined_at),
        }
        for o, m in rows
    ]


def _proposal_entry(session: Session, proposal: Proposal, challenge: Challenge, user_id: int) -> dict[str, Any]:
    versions = session.scalars(
        select(ProposalVersion)
        .where(ProposalVersion.proposal_id == proposal.id, ProposalVersion.submitted_by_id == user_id)
        .order_by(ProposalVersion.number)
    )
    uploads = session.scalars(
        select(ProposalDocument).where(
            ProposalDocument.proposal_id == proposal.id, ProposalDocument.uploaded_by_id == user_id
        )
    )
    return {
        "reference": proposal.reference,
        "challenge": challenge.slug,
        "organisation_id": proposal.organisation_id,
        "status": proposal.status,
        "started_by_you": proposal.created_by_id == user_id,
        "documents_you_uploaded": [
            {"question": d.question_key, "name": d.original_name, "uploaded_at": _iso(d.uploaded_at)} for d in uploads
        ],
        "versions_you_submitted": [
            {
                "number": v.number,
                "received_at": _iso(v.received_at),
                "receipt_hash": v.receipt_hash,
                "content": v.content,
            }
            for v in versions
        ],
    }


def proposals(session: Session, *, user_id: int) -> list[dict[str, Any]]:
    """Proposals the user started, uploaded a document to, or submitted a version of."""
    took_part = or_(
        Proposal.created_by_id == user_id,
        Proposal.id.in_(select(ProposalDocument.proposal_id).where(ProposalDocument.uploaded_by_id == user_id)),
        Proposal.id.in_(select(ProposalVersion.proposal_id).where(ProposalVersion.submitted_by_id == user_id)),
    )
    rows = session.execute(
        select(Proposal, Challenge)
        .join(Challenge, Challenge.id == Proposal.challenge_id)
        .where(took_part)
        .order_by(Proposal.id)
    )
    return [_proposal_entry(session, p, c, user_id) for p, c in rows]


def questions(session: Session, *, user_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(NotaEntry, Challenge)
        .join(Challenge, Challenge.id == NotaEntry.challenge_id)
        .where(NotaEntry.asker_id == user_id)
        .order_by(NotaEntry.id)
    )
    return [
        {
            "challenge": c.slug,
            "asked_at": _iso(e.asked_at),
            "question": e.original_text,
            "status": e.status,
            "published_at": _iso(e.published_at),
            "published_question": {"nl": e.question_nl, "en": e.question_en} if e.published_at else None,
            "published_answer": {"nl": e.answer_nl, "en": e.answer_en} if e.published_at else None,
        }
        for e, c in rows
    ]


def audit_events(session: Session, *, user_id: int) -> Iterator[bytes]:
    """The events done by the user or about the user's account, as one JSON list written in pieces."""
    about = and_(AuditEvent.object_type == "user", AuditEvent.object_id == cast(str(user_id), String))
    query = select(AuditEvent).where(or_(AuditEvent.actor_id == user_id, about)).order_by(AuditEvent.id)
    yield b"["
    first = True
    for event in session.scalars(query.execution_options(yield_per=500)):
        item = {
            "id": event.id,
            "occurred_at": _iso(event.occurred_at),
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "ip": event.ip,
            "data": event.data,
            "hash": event.hash,
        }
        yield (b"" if first else b",") + b"\n" + _dump(item).encode()
        first = False
    yield b"\n]\n"


def export_data(session: Session, *, user_id: int, language: str, ip: str | None, now: datetime) -> BinaryIO:
    """The user's data as a ZIP in a temporary file, rewound; audited as ``account.export``. The caller closes
    the file and commits."""
    user = session.get(User, user_id)
    assert user is not None
    with spooled_archive() as (writer, handle):
        readme = translate(language, README, email=user.email, date=now.date().isoformat())
        writer.add_text("README.txt", text=readme)
        account = {
            **account_privacy.account_data(user),
            "logins": account_privacy.session_data(session, user_id=user.id),
        }
        writer.add_text("account.json", text=_dump(account))
        writer.add_text("memberships.json", text=_dump(memberships(session, user_id=user.id)))
        writer.add_text("proposals.json", text=_dump(proposals(session, user_id=user.id)))
        writer.add_text("questions.json", text=_dump(questions(session, user_id=user.id)))
        writer.add_chunks("audit_events.json", chunks=audit_events(session, user_id=user.id))
    record_event(
        session,
        actor=Actor(user.id, label=user.email, ip=ip),
        action="account.export",
        object_type="user",
        object_id=user.id,
        at=now,
    )
    return handle

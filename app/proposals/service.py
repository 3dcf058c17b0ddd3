"""Proposal use cases: start, save the working copy, documents, submit, amend, withdraw, re-confirm.

Services never commit; the view does, once. Every change is an audit event. A submission is one
transaction: the version, its documents, the status change, the audit event and the receipt e-mails are
stored together or not at all; the documents themselves were stored (and synced) when they were uploaded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.util import identity_key

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.canonical import canonical_json, sha256_hex
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition, Question, Stage
from app.database import insert_unless_present
from app.errors import DeadlinePassed, FieldError, InvalidTransition, NotFound, ValidationFailed
from app.formatting import format_local_datetime
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.organisations.models import Membership, Organisation
from app.proposals import answers as answer_rules
from app.proposals import consortium, permissions
from app.proposals.enums import ALLOWED_TRANSITIONS, Declaration, ProposalStatus, VersionKind
from app.proposals.models import Blob, Proposal, ProposalDocument, ProposalVersion, ProposalVersionDocument
from app.storage import BlobStore

_Model = TypeVar("_Model")

EMPTY_DRAFT: dict[str, Any] = {"answers": {}, "trl": "", "lead": {"role": "", "share": ""}, "partners": []}


class StageClosed(DeadlinePassed):
    """The stage's deadline passed (by the server clock); ``deadline`` is shown to the company."""

    message = N_("The deadline of %(deadline)s has passed. Nothing was submitted.")

    def __init__(self, deadline: datetime) -> None:
        super().__init__(self.message, deadline=deadline)
        self.deadline = deadline


class StageNotOpen(InvalidTransition):
    message = N_("This stage is not open for proposals.")


# --- queries --------------------------------------------------------------------------------------


def get_member_proposal(session: Session, *, proposal_id: int, user: User) -> Proposal:
    """The proposal, for a member of its organisation; ``NotFound`` for everyone else (staff too).

    One query: the membership is a join, so a proposal of another organisation is simply not found.
    """
    proposal = session.scalar(
        select(Proposal)
        .join(
            Membership,
            (Membership.organisation_id == Proposal.organisation_id) & (Membership.user_id == user.id),
        )
        .where(Proposal.id == proposal_id)
    )
    if proposal is None:
        raise NotFound()
    return proposal


def _context_query(proposal: Proposal) -> Select[Challenge, ChallengeStage, Organisation]:
    """The proposal's challenge (with its versions, for the current definition), stage and organisation."""
    return (
        select(Challenge, ChallengeStage, Organisation)
        .join(ChallengeStage, ChallengeStage.challenge_id == Challenge.id)
        .join(Organisation, Organisation.id == proposal.organisation_id)
        .where(Challenge.id == proposal.challenge_id, ChallengeStage.id == proposal.stage_id)
        .options(joinedload(Challenge.versions))
    )


def context_of(session: Session, proposal: Proposal) -> tuple[Challenge, ChallengeStage, Organisation]:
    """Challenge, stage and organisation of a proposal: from the session when it holds them, else one query."""
    held = (
        _held(session, Challenge, proposal.challenge_id),
        _held(session, ChallengeStage, proposal.stage_id),
        _held(session, Organisation, proposal.organisation_id),
    )
    if held[0] is not None and held[1] is not None and held[2] is not None:
        return held[0], held[1], held[2]
    challenge, stage, organisation = session.execute(_context_query(proposal)).unique().one()
    return challenge, stage, organisation


def _held(session: Session, model: type[_Model], key: int) -> _Model | None:
    found = session.identity_map.get(identity_key(model, key))
    return found if isinstance(found, model) else None


def stage_spec(challenge: Challenge, stage: ChallengeStage) -> tuple[ChallengeDefinition, Stage]:
    """The stage's definition in the challenge's current version (questions, texts)."""
    definition = challenge_service.current_definition(challenge)
    for spec in definition.stages:
        if spec.key == stage.key:
            return definition, spec
    raise NotFound()


def questions_of(challenge: Challenge, stage: ChallengeStage) -> list[Question]:
    return list(stage_spec(challenge, stage)[1].questions)


def find_proposal(session: Session, *, stage_id: int, organisation_id: int) -> Proposal | None:
    return session.scalar(
        select(Proposal).where(Proposal.stage_id == stage_id, Proposal.organisation_id == organisation_id)
    )


@dataclass(frozen=True)
class ProposalListItem:
    proposal: Proposal
    challenge: Challenge
    stage: ChallengeStage
    organisation: Organisation


def list_for_user(session: Session, *, user_id: int) -> list[ProposalListItem]:
    """Every proposal of every organisation the user belongs to, by organisation and deadline."""
    rows = session.execute(
        select(Proposal, Challenge, ChallengeStage, Organisation)
        .join(Challenge, Challenge.id == Proposal.challenge_id)
        .join(ChallengeStage, ChallengeStage.id == Proposal.stage_id)
        .join(Organisation, Organisation.id == Proposal.organisation_id)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user_id)
        .order_by(func.lower(Organisation.legal_name), ChallengeStage.deadline_at, Proposal.id)
    )
    return [ProposalListItem(*row) for row in rows]


@dataclass(frozen=True)
class ProposalCounts:
    drafts: int = 0
    submitted: int = 0
    withdrawn: int = 0
    reconfirmation_due: int = 0


def count_proposals(session: Session, *, challenge_id: int) -> dict[str, ProposalCounts]:
    """Counts per stage key: all that anyone but the companies may know before the deadline."""
    rows = session.execute(
        select(
            ChallengeStage.key,
            Proposal.status,
            func.count(Proposal.id),
            func.count(Proposal.reconfirmation_required_at),
        )
        .join(Proposal, Proposal.stage_id == ChallengeStage.id)
        .where(ChallengeStage.challenge_id == challenge_id)
        .group_by(ChallengeStage.key, Proposal.status)
    )
    tally: dict[str, dict[str, int]] = {}
    for key, status, count, reconfirm in rows:
        entry = tally.setdefault(key, {"drafts": 0, "submitted": 0, "withdrawn": 0, "reconfirmation_due": 0})
        field = {"draft": "drafts", "submitted": "submitted", "withdrawn": "withdrawn"}[status]
        entry[field] += count
        if status == ProposalStatus.SUBMITTED.value:
            entry["reconfirmation_due"] += reconfirm
    challenge = session.get(Challenge, challenge_id)
    keys = [stage.key for stage in challenge.stages] if challenge else list(tally)
    return {key: ProposalCounts(**tally.get(key, {})) for key in keys}


def organisation_ids_with_proposals(session: Session, *, challenge_id: int) -> set[int]:
    """Organisations with a draft or a submission for the challenge (they hear of changes to it)."""
    return set(session.scalars(select(Proposal.organisation_id).where(Proposal.challenge_id == challenge_id)))


def standing_versions(session: Session, *, stage_id: int) -> list[ProposalVersion]:
    """The version that counts of every submitted (not withdrawn) proposal of the stage: its latest."""
    latest = (
        select(ProposalVersion.proposal_id, func.max(ProposalVersion.number).label("number"))
        .join(Proposal, Proposal.id == ProposalVersion.proposal_id)
        .where(Proposal.stage_id == stage_id, Proposal.status == ProposalStatus.SUBMITTED.value)
        .group_by(ProposalVersion.proposal_id)
        .subquery()
    )
    query = (
        select(ProposalVersion)
        .join(
            latest,
            (latest.c.proposal_id == ProposalVersion.proposal_id) & (latest.c.number == ProposalVersion.number),
        )
        .order_by(ProposalVersion.proposal_id)
    )
    return list(session.scalars(query))


def latest_version(proposal: Proposal) -> ProposalVersion | None:
    return proposal.versions[-1] if proposal.versions else None


def get_version(session: Session, *, proposal: Proposal, number: int) -> ProposalVersion:
    version = session.scalar(
        select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id, ProposalVersion.number == number)
    )
    if version is None:
        raise NotFound()
    return version


# --- the working copy -----------------------------------------------------------------------------


def _draft(proposal: Proposal) -> dict[str, Any]:
    """A copy to change and assign back (JSON columns notice assignment, not mutation)."""
    draft = copy.deepcopy(EMPTY_DRAFT)
    draft.update(copy.deepcopy(proposal.draft or {}))
    return draft


def _require_open(challenge: Challenge, stage: ChallengeStage, now: datetime) -> None:
    if now >= stage.deadline_at:
        raise StageClosed(stage.deadline_at)
    if not permissions.is_open_for_changes(challenge, stage, now):
        raise StageNotOpen()


def _audit(session: Session, proposal: Proposal, *, actor: Actor, action: str, now: datetime, **data: Any) -> None:
    record_event(
        session,
        actor=actor,
        action=action,
        object_type="proposal",
        object_id=proposal.id,
        at=now,
        data={"challenge_id": proposal.challenge_id, "stage_id": proposal.stage_id, **data},
    )


def start_proposal(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    organisation: Organisation,
    user: User,
    actor: Actor,
    now: datetime,
) -> Proposal:
    """A new draft for the organisation in an open stage, or the one it already has there."""
    existing = find_proposal(session, stage_id=stage.id, organisation_id=organisation.id)
    if existing is not None:
        return existing
    _require_open(challenge, stage, now)
    if stage.invitation_only:
        raise StageNotOpen()
    if session.get(Membership, (organisation.id, user.id)) is None:
        raise NotFound()
    proposal = Proposal(
        challenge_id=challenge.id,
        stage_id=stage.id,
        organisation_id=organisation.id,
        status=ProposalStatus.DRAFT.value,
        draft=copy.deepcopy(EMPTY_DRAFT),
        challenge_version=challenge.current_version,
        created_at=now,
        updated_at=now,
        created_by_id=user.id,
    )
    session.add(proposal)
    session.flush()
    _audit(session, proposal, actor=actor, action="proposal.start", now=now)
    return proposal


@dataclass(frozen=True)
class SaveOutcome:
    """What a save found to fix before submitting; ``late`` when the deadline had passed (kept as draft)."""

    problems: list[FieldError]
    late: bool = False


def save_answers(
    session: Session, *, proposal: Proposal, values: dict[str, Any], actor: Actor, now: datetime
) -> SaveOutcome:
    """Keep the answers and claimed TRL exactly as typed. After the deadline they are kept as the draft
    (nothing typed is lost) but the outcome says ``late`` and nothing can be submitted any more."""
    challenge, stage, _ = context_of(session, proposal)
    questions = questions_of(challenge, stage)
    draft = _draft(proposal)
    draft["answers"] = {**draft["answers"], **answer_rules.raw_answers(questions, values)}
    draft["trl"] = str(values.get(answer_rules.TRL_FIELD, "")).strip()
    late = now >= stage.deadline_at
    if not late:
        _require_open(challenge, stage, now)
    proposal.draft = draft
    proposal.challenge_version = challenge.current_version
    proposal.updated_at = now
    _audit(session, proposal, actor=actor, action="proposal.late_save" if late else "proposal.save", now=now)
    session.flush()
    problems = answer_rules.check_answers(questions, draft["answers"], complete=False)
    problems += answer_rules.check_trl(draft["trl"], complete=False)
    return SaveOutcome(problems, late=late)


def add_partner(
    session: Session, *, proposal: Proposal, values: dict[str, Any], actor: Actor, now: datetime
) -> dict[str, Any]:
    """Add a partner organisation (registered, or named by KvK number / country and registry id)."""
    challenge, stage, organisation = context_of(session, proposal)
    _require_open(challenge, stage, now)
    draft = _draft(proposal)
    definition, _ = stage_spec(challenge, stage)
    partner = consortium.parse_partner(
        session, values=values, lead=organisation, partners=draft["partners"], definition=definition
    )
    draft["partners"] = [*draft["partners"], partner]
    proposal.draft = draft
    proposal.updated_at = now
    _audit(session, proposal, actor=actor, action="proposal.partner_add", now=now, partner=partner["legal_name"])
    session.flush()
    return partner


def remove_partner(session: Session, *, proposal: Proposal, index: int, actor: Actor, now: datetime) -> None:
    challenge, stage, _ = context_of(session, proposal)
    _require_open(challenge, stage, now)
    draft = _draft(proposal)
    if not 0 <= index < len(draft["partners"]):
        raise NotFound()
    removed = draft["partners"].pop(index)
    proposal.draft = draft
    proposal.updated_at = now
    _audit(session, proposal, actor=actor, action="proposal.partner_remove", now=now, partner=removed["legal_name"])
    session.flush()


def save_shares(
    session: Session, *, proposal: Proposal, values: dict[str, Any], actor: Actor, now: datetime
) -> list[FieldError]:
    """Keep the lead's role and every party's role and share as typed; returns what is still wrong.

    After the deadline what was typed is still kept in the draft, then ``StageClosed`` is raised (the
    caller commits the draft and shows the deadline)."""
    challenge, stage, _ = context_of(session, proposal)
    late = now >= stage.deadline_at
    if not late:
        _require_open(challenge, stage, now)
    draft = _draft(proposal)
    draft["lead"] = {
        "role": str(values.get("lead_role", "")).strip()[:200],
        "share": str(values.get("lead_share", "")).strip(),
    }
    for index, partner in enumerate(draft["partners"]):
        partner["role"] = str(values.get(f"partner_{index}_role", partner["role"])).strip()[:200]
        partner["share"] = str(values.get(f"partner_{index}_share", partner["share"])).strip()
    proposal.draft = draft
    proposal.updated_at = now
    _audit(session, proposal, actor=actor, action="proposal.late_save" if late else "proposal.consortium_save", now=now)
    session.flush()
    if late:
        raise StageClosed(stage.deadline_at)
    return consortium.check_shares(draft, complete=False)


# --- documents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    size_bytes: int
    original_name: str
    kind: str
    media_type: str
    pages: int | None


def document_question(challenge: Challenge, stage: ChallengeStage, key: str) -> Any:
    for question in answer_rules.document_questions(questions_of(challenge, stage)):
        if question.key == key:
            return question
    raise NotFound()


def attach_document(
    session: Session, *, proposal: Proposal, question_key: str, document: StoredDocument, actor: Actor, now: datetime
) -> list[str]:
    """Put a stored blob into the working copy's slot. Returns blobs no longer referenced (to delete after commit).

    The blob's bytes are already in the store, synced, before this row is committed.
    """
    challenge, stage, _ = context_of(session, proposal)
    _require_open(challenge, stage, now)
    document_question(challenge, stage, question_key)
    # The same bytes may already be stored (another slot, another proposal): one row per hash.
    insert_unless_present(
        session,
        Blob,
        key="sha256",
        values={
            "sha256": document.sha256,
            "size_bytes": document.size_bytes,
            "media_type": document.media_type,
            "created_at": now,
        },
    )
    previous = _slot(proposal, question_key)
    old_sha = previous.sha256 if previous else None
    if previous is not None:
        session.delete(previous)
        session.flush()
    session.add(
        ProposalDocument(
            proposal_id=proposal.id,
            question_key=question_key,
            sha256=document.sha256,
            original_name=document.original_name,
            size_bytes=document.size_bytes,
            kind=document.kind,
            pages=document.pages,
            uploaded_at=now,
            uploaded_by_id=actor.user_id,
        )
    )
    proposal.updated_at = now
    session.flush()
    session.expire(proposal, ["documents"])
    orphans = _orphans(session, [old_sha] if old_sha and old_sha != document.sha256 else [])
    # Last: appending to the audit chain serialises writers until the commit that follows.
    _audit(
        session,
        proposal,
        actor=actor,
        action="proposal.document_upload",
        now=now,
        question=question_key,
        sha256=document.sha256,
        size=document.size_bytes,
    )
    return orphans


def remove_document(
    session: Session, *, proposal: Proposal, question_key: str, actor: Actor, now: datetime
) -> list[str]:
    challenge, stage, _ = context_of(session, proposal)
    _require_open(challenge, stage, now)
    previous = _slot(proposal, question_key)
    if previous is None:
        raise NotFound()
    sha = previous.sha256
    session.delete(previous)
    proposal.updated_at = now
    _audit(session, proposal, actor=actor, action="proposal.document_remove", now=now, question=question_key)
    session.flush()
    session.expire(proposal, ["documents"])
    return _orphans(session, [sha])


def _slot(proposal: Proposal, question_key: str) -> ProposalDocument | None:
    return next((d for d in proposal.documents if d.question_key == question_key), None)


def _orphans(session: Session, candidates: list[str]) -> list[str]:
    """Blobs among ``candidates`` that no draft and no submitted version refers to: their rows go now."""
    orphans: list[str] = []
    for sha in candidates:
        in_draft = session.scalar(select(func.count()).where(ProposalDocument.sha256 == sha))
        in_version = session.scalar(select(func.count()).where(ProposalVersionDocument.sha256 == sha))
        if not in_draft and not in_version:
            blob = session.get(Blob, sha)
            if blob is not None:
                session.delete(blob)
            orphans.append(sha)
    session.flush()
    return orphans


# --- submit, amend, withdraw, re-confirm ----------------------------------------------------------


def _lock(session: Session, proposal: Proposal) -> tuple[Proposal, Challenge, ChallengeStage, Organisation]:
    """Serialise submissions of one proposal (row lock on PostgreSQL; SQLite's writer lock does the same).

    The proposal is read again under the lock, and its challenge, stage and organisation come in the same
    query: one round trip for what every submission needs first. The caller keeps all four (the session
    holds its objects only weakly).
    """
    challenge, stage, organisation, locked = (
        session.execute(
            _context_query(proposal)
            .join(Proposal, Proposal.id == proposal.id)
            .add_columns(Proposal)
            .with_for_update(of=Proposal)
            .execution_options(populate_existing=True)
        )
        .unique()
        .one()
    )
    return locked, challenge, stage, organisation


def submission_problems(session: Session, *, proposal: Proposal) -> list[FieldError]:
    """Everything that keeps the working copy from being submitted, with the field it concerns."""
    challenge, stage, organisation = context_of(session, proposal)
    definition, spec = stage_spec(challenge, stage)
    draft = _draft(proposal)
    problems = answer_rules.check_answers(list(spec.questions), draft["answers"], complete=True)
    problems += answer_rules.check_trl(draft["trl"], complete=True)
    problems += consortium.check_consortium(draft, lead=organisation, definition=definition)
    slots = {d.question_key for d in proposal.documents}
    for question in answer_rules.document_questions(list(spec.questions)):
        if question.required and question.key not in slots:
            problems.append(FieldError(f"document_{question.key}", N_("Upload this document.")))
    return problems


def sections_complete(problems: list[FieldError]) -> dict[str, bool]:
    """Which parts of the form are ready for submission (the overview's task list)."""
    paths = [p.path for p in problems]
    return {
        "answers": not any(p.startswith("q_") or p == answer_rules.TRL_FIELD for p in paths),
        "consortium": not any(p.startswith(("lead_", "partner")) for p in paths),
        "documents": not any(p.startswith("document_") for p in paths),
    }


def _content(
    proposal: Proposal, challenge: Challenge, stage: ChallengeStage, organisation: Organisation, spec: Stage
) -> dict[str, Any]:
    draft = _draft(proposal)
    return {
        "proposal": proposal.reference,
        "challenge": challenge.slug,
        "challenge_version": challenge.current_version,
        "stage": stage.key,
        "organisation": {
            "id": organisation.id,
            "legal_name": organisation.legal_name,
            "kvk_number": organisation.kvk_number,
            "country": organisation.country,
            "registry_id": organisation.registry_id,
        },
        "lead": consortium.lead_of(draft),
        "partners": consortium.partners_of(draft),
        "trl": int(draft["trl"]),
        "answers": answer_rules.typed_answers(list(spec.questions), draft["answers"]),
        "documents": {
            d.question_key: {
                "sha256": d.sha256,
                "name": d.original_name,
                "size": d.size_bytes,
                "kind": d.kind,
                "pages": d.pages,
            }
            for d in proposal.documents
        },
        "declarations": sorted(d.value for d in Declaration),
    }


def receipt_hash(content: dict[str, Any], *, number: int, received_at: datetime) -> str:
    """SHA-256 over the canonical content, the version number and the time of receipt (documents by hash)."""
    return sha256_hex(canonical_json({"content": content, "version": number, "received_at": received_at.isoformat()}))


def _new_version(
    session: Session,
    *,
    proposal: Proposal,
    content: dict[str, Any],
    kind: VersionKind,
    key: str,
    user: User,
    now: datetime,
) -> ProposalVersion:
    number = proposal.version_count + 1
    version = ProposalVersion(
        proposal_id=proposal.id,
        number=number,
        kind=kind.value,
        challenge_version=content["challenge_version"],
        content=content,
        receipt_hash=receipt_hash(content, number=number, received_at=now),
        received_at=now,
        submitted_by_id=user.id,
        idempotency_key=key,
    )
    session.add(version)
    for question_key, doc in content["documents"].items():
        version.documents.append(
            ProposalVersionDocument(
                question_key=question_key,
                sha256=doc["sha256"],
                original_name=doc["name"],
                size_bytes=doc["size"],
                kind=doc["kind"],
                pages=doc["pages"],
            )
        )
    proposal.version_count = number
    proposal.submitted_at = now
    proposal.withdrawn_at = None
    proposal.reconfirmation_required_at = None
    proposal.updated_at = now
    return version


def _transition(proposal: Proposal, target: ProposalStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[ProposalStatus(proposal.status)]:
        raise InvalidTransition()
    proposal.status = target.value


def _existing_version(session: Session, proposal: Proposal, key: str) -> ProposalVersion | None:
    """The version an earlier request with this key made. Read under the proposal's lock: a proposal
    without versions has none to find, which spares the first submission a query."""
    if not proposal.version_count:
        return None
    return session.scalar(
        select(ProposalVersion).where(
            ProposalVersion.proposal_id == proposal.id, ProposalVersion.idempotency_key == key
        )
    )


def submit_proposal(
    session: Session,
    *,
    proposal: Proposal,
    declarations: set[str],
    idempotency_key: str,
    store: BlobStore,
    user: User,
    actor: Actor,
    now: datetime,
    links: Links,
) -> ProposalVersion:
    """Make an immutable version of the working copy, before the deadline by the server clock.

    Side effects: status submitted, audit ``proposal.submit`` (or ``.amend``/``.resubmit``), a receipt
    e-mail to every member. The same ``idempotency_key`` (a double click, a resent form) returns the
    version made the first time.
    """
    proposal, challenge, stage, organisation = _lock(session, proposal)
    existing = _existing_version(session, proposal, idempotency_key)
    if existing is not None:
        return existing
    _require_open(challenge, stage, now)
    problems = submission_problems(session, proposal=proposal)
    missing = [d for d in Declaration if d.value not in declarations]
    problems += [FieldError(f"declaration_{d.value}", N_("Tick this declaration to submit.")) for d in missing]
    for document in proposal.documents:
        if not store.exists(document.sha256):
            problems.append(FieldError(f"document_{document.question_key}", N_("Upload this document again.")))
    if problems:
        raise ValidationFailed(errors=problems)
    _, spec = stage_spec(challenge, stage)
    kind = {
        ProposalStatus.DRAFT.value: VersionKind.SUBMIT,
        ProposalStatus.SUBMITTED.value: VersionKind.AMEND,
        ProposalStatus.WITHDRAWN.value: VersionKind.RESUBMIT,
    }[proposal.status]
    content = _content(proposal, challenge, stage, organisation, spec)
    version = _new_version(
        session, proposal=proposal, content=content, kind=kind, key=idempotency_key, user=user, now=now
    )
    proposal.challenge_version = challenge.current_version
    _transition(proposal, ProposalStatus.SUBMITTED)
    _send_to_members(
        session,
        proposal=proposal,
        template="proposal_receipt",
        context={"proposal": proposal, "version": version, "challenge": challenge, "stage": stage},
        now=now,
        links=links,
    )
    # Last: appending to the audit chain serialises writers until the commit that follows.
    _audit(
        session,
        proposal,
        actor=actor,
        action=f"proposal.{kind.value}",
        now=now,
        version=version.number,
        receipt=version.receipt_hash,
    )
    session.flush()
    return version


def withdraw_proposal(session: Session, *, proposal: Proposal, actor: Actor, now: datetime, links: Links) -> None:
    """Withdraw before the deadline; no version counts any more until the company submits again."""
    proposal, challenge, stage, _ = _lock(session, proposal)
    _require_open(challenge, stage, now)
    _transition(proposal, ProposalStatus.WITHDRAWN)
    proposal.withdrawn_at = now
    proposal.updated_at = now
    proposal.reconfirmation_required_at = None
    _audit(session, proposal, actor=actor, action="proposal.withdraw", now=now)
    _send_to_members(
        session,
        proposal=proposal,
        template="proposal_withdrawn",
        context={"proposal": proposal, "challenge": challenge, "stage": stage},
        now=now,
        links=links,
    )
    session.flush()


def reconfirm_proposal(
    session: Session,
    *,
    proposal: Proposal,
    idempotency_key: str,
    user: User,
    actor: Actor,
    now: datetime,
    links: Links,
) -> ProposalVersion:
    """After a correction of the challenge: the company confirms its submitted version against the new one."""
    proposal, challenge, stage, _ = _lock(session, proposal)
    existing = _existing_version(session, proposal, idempotency_key)
    if existing is not None:
        return existing
    _require_open(challenge, stage, now)
    previous = latest_version(proposal)
    if proposal.status != ProposalStatus.SUBMITTED.value or previous is None:
        raise InvalidTransition()
    content = {**copy.deepcopy(previous.content), "challenge_version": challenge.current_version}
    version = _new_version(
        session,
        proposal=proposal,
        content=content,
        kind=VersionKind.RECONFIRM,
        key=idempotency_key,
        user=user,
        now=now,
    )
    _audit(
        session,
        proposal,
        actor=actor,
        action="proposal.reconfirm",
        now=now,
        version=version.number,
        receipt=version.receipt_hash,
    )
    _send_to_members(
        session,
        proposal=proposal,
        template="proposal_receipt",
        context={"proposal": proposal, "version": version, "challenge": challenge, "stage": stage},
        now=now,
        links=links,
    )
    session.flush()
    return version


def require_reconfirmation(
    session: Session, *, challenge: Challenge, reason: str, actor: Actor, now: datetime, links: Links
) -> int:
    """A correction of the challenge: every submitted proposal must be re-confirmed; their members are told."""
    proposals = session.scalars(
        select(Proposal).where(Proposal.challenge_id == challenge.id, Proposal.status == ProposalStatus.SUBMITTED.value)
    ).all()
    for proposal in proposals:
        stage = session.get(ChallengeStage, proposal.stage_id)
        if stage is None or now >= stage.deadline_at:
            continue
        proposal.reconfirmation_required_at = now
        _audit(session, proposal, actor=actor, action="proposal.reconfirmation_required", now=now, reason=reason)
        _send_to_members(
            session,
            proposal=proposal,
            template="proposal_reconfirm",
            context={"proposal": proposal, "challenge": challenge, "stage": stage, "reason": reason},
            now=now,
            links=links,
        )
    session.flush()
    return len(proposals)


def invite_to_stage(
    session: Session, *, proposal: Proposal, stage: ChallengeStage, actor: Actor, now: datetime, links: Links
) -> Proposal:
    """Invite the proposal's organisation to a later (invitation-only) stage: a draft with the consortium."""
    if stage.challenge_id != proposal.challenge_id:
        raise NotFound()
    existing = find_proposal(session, stage_id=stage.id, organisation_id=proposal.organisation_id)
    if existing is not None:
        return existing
    challenge = session.get(Challenge, proposal.challenge_id)
    assert challenge is not None
    previous = latest_version(proposal)
    draft = copy.deepcopy(EMPTY_DRAFT)
    if previous is not None:
        draft["lead"] = {k: str(v) for k, v in previous.content["lead"].items()}
        draft["partners"] = [{**partner, "share": str(partner["share"])} for partner in previous.content["partners"]]
        draft["trl"] = str(previous.content.get("trl") or "")
    invited = Proposal(
        challenge_id=proposal.challenge_id,
        stage_id=stage.id,
        organisation_id=proposal.organisation_id,
        status=ProposalStatus.DRAFT.value,
        draft=draft,
        challenge_version=challenge.current_version,
        created_at=now,
        updated_at=now,
        invited_at=now,
    )
    session.add(invited)
    session.flush()
    _audit(session, invited, actor=actor, action="proposal.invite", now=now, previous=proposal.id)
    _send_to_members(
        session,
        proposal=invited,
        template="proposal_invited",
        context={"proposal": invited, "challenge": challenge, "stage": stage},
        now=now,
        links=links,
    )
    return invited


def _send_to_members(
    session: Session, *, proposal: Proposal, template: str, context: dict[str, Any], now: datetime, links: Links
) -> None:
    with session.no_autoflush:  # the members do not depend on pending changes: one flush, with the e-mail's
        members = session.scalars(
            select(User)
            .options(lazyload(User.roles))  # e-mail needs no roles: skip their query
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == proposal.organisation_id, User.is_active.is_(True))
            .order_by(User.id)
        ).all()
    link = links.url("proposal_detail", proposal_id=proposal.id)
    for member in members:
        language = member.language

        def when(value: datetime, language: str = language) -> str:
            return format_local_datetime(value, language)

        queue_email(
            session,
            to=member.email,
            template=template,
            language=language,
            context={
                **context,
                "user": member,
                "local_datetime": when,
                "link": link,
                "title": context["challenge"].title(language),
            },
            now=now,
            user_id=member.id,
        )


# --- receipts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptCheck:
    """The outcome of checking a receipt code against what the portal holds."""

    version: ProposalVersion | None
    content_intact: bool = False
    documents_intact: bool = False

    @property
    def valid(self) -> bool:
        return self.version is not None and self.content_intact and self.documents_intact


def check_receipt(session: Session, *, proposal: Proposal, code: str, store: BlobStore) -> ReceiptCheck:
    """Find the version the code belongs to and recompute: the content hash and every document's bytes."""
    code = code.strip().lower()
    version = session.scalar(
        select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id, ProposalVersion.receipt_hash == code)
    )
    if version is None:
        return ReceiptCheck(None)
    recomputed = receipt_hash(version.content, number=version.number, received_at=version.received_at)
    documents_intact = all(store.verify(doc.sha256) for doc in version.documents)
    return ReceiptCheck(version, content_intact=recomputed == version.receipt_hash, documents_intact=documents_intact)


def page_context(session: Session, proposal: Proposal, now: datetime) -> dict[str, Any]:
    """What every page of one proposal shows: its challenge, stage, organisation and whether it can change."""
    challenge, stage, organisation = context_of(session, proposal)
    definition, spec = stage_spec(challenge, stage)
    return {
        "proposal": proposal,
        "challenge": challenge,
        "stage": stage,
        "organisation": organisation,
        "definition": definition,
        "spec": spec,
        "editable": permissions.is_open_for_changes(challenge, stage, now),
        "draft": {**EMPTY_DRAFT, **(proposal.draft or {})},
    }


@dataclass(frozen=True)
class StaffRow:
    proposal: Proposal
    organisation: Organisation
    version: ProposalVersion


def staff_rows(session: Session, *, stage: ChallengeStage) -> list[StaffRow]:
    """After the deadline: each submitted proposal of the stage with its standing version (two queries)."""
    versions = standing_versions(session, stage_id=stage.id)
    rows = session.execute(
        select(Proposal, Organisation)
        .join(Organisation, Organisation.id == Proposal.organisation_id)
        .where(Proposal.id.in_([v.proposal_id for v in versions]))
    )
    by_id = {proposal.id: (proposal, organisation) for proposal, organisation in rows}
    return [StaffRow(*by_id[v.proposal_id], v) for v in versions]

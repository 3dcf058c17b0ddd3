"""Proposal lookups and what every part of the proposals domain shares: the proposal of a member, its challenge,
stage and organisation, counts, the standing versions, the open-for-changes guard and the audit event.

The use cases live in the sub-packages: ``drafts`` (start, answers, consortium), ``documents`` (upload,
remove), ``submissions`` (submit, amend, withdraw, re-confirm, receipts, invitations). Services never commit;
the view does, once. Every change is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, SessionTransaction, joinedload
from sqlalchemy.orm.util import identity_key

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition, Question, Stage
from app.errors import DeadlinePassed, InvalidTransition, NotFound
from app.i18n import N_
from app.organisations.models import Membership, Organisation
from app.proposals import permissions
from app.proposals.drafts.schemas import ProposalDraft
from app.proposals.enums import ProposalStatus
from app.proposals.models import Proposal, ProposalVersion

_Model = TypeVar("_Model")


class StageClosed(DeadlinePassed):
    """The stage's deadline passed (by the server clock); ``deadline`` is shown to the company."""

    message = N_("The deadline of %(deadline)s has passed. Nothing was submitted.")

    def __init__(self, deadline: datetime) -> None:
        super().__init__(self.message, deadline=deadline)
        self.deadline = deadline


class StageNotOpen(InvalidTransition):
    message = N_("This stage is not open for proposals.")


class ChallengeCancelled(InvalidTransition):
    message = N_(
        "This challenge is cancelled: proposals can no longer be started, changed or submitted. "
        "The challenge page gives the reason."
    )


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


Context = tuple[Proposal, Challenge, ChallengeStage, Organisation]
# The proposals each open transaction has locked (and read) with ``member_proposal_in_context``; an entry goes
# with its transaction.
_locked: WeakKeyDictionary[SessionTransaction, set[int]] = WeakKeyDictionary()


@cache
def _member_context_query(*, lock: bool) -> Select[Proposal, Challenge, ChallengeStage, Organisation]:
    """Built once per ``lock`` (its cache key derived once, not on every request of a company)."""
    query = (
        select(Proposal, Challenge, ChallengeStage, Organisation)
        .join(Membership, Membership.organisation_id == Proposal.organisation_id)
        .join(Challenge, Challenge.id == Proposal.challenge_id)
        .join(ChallengeStage, ChallengeStage.id == Proposal.stage_id)
        .join(Organisation, Organisation.id == Proposal.organisation_id)
        .where(Proposal.id == bindparam("proposal_id"), Membership.user_id == bindparam("user_id"))
        .options(joinedload(Challenge.versions))
    )
    if lock:
        query = query.with_for_update(of=Proposal).execution_options(populate_existing=True)
    return query


def member_proposal_in_context(session: Session, *, proposal_id: int, user: User, lock: bool = False) -> Context:
    """``get_member_proposal`` with the proposal's challenge (its versions too), stage and organisation, in
    one query. The caller keeps all four (the session holds its objects only weakly).

    ``lock``: the proposal's row is locked until the transaction ends (on PostgreSQL; SQLite's writer lock
    does the same) and read under the lock; a service that locks it again in this transaction
    (``locked_in_transaction``) finds it locked already and needs no query of its own.
    """
    query = _member_context_query(lock=lock)
    row = session.execute(query, {"proposal_id": proposal_id, "user_id": user.id}).unique().one_or_none()
    if row is None:
        raise NotFound()
    proposal, challenge, stage, organisation = row
    transaction = session.get_transaction()
    if lock and transaction is not None:
        _locked.setdefault(transaction, set()).add(proposal.id)
    return proposal, challenge, stage, organisation


def locked_in_transaction(session: Session, proposal: Proposal) -> bool:
    """Whether ``member_proposal_in_context(..., lock=True)`` locked (and read) this proposal in the
    session's current transaction."""
    transaction = session.get_transaction()
    return transaction is not None and proposal.id in _locked.get(transaction, ())


def context_query(proposal: Proposal) -> Select[Challenge, ChallengeStage, Organisation]:
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
    challenge, stage, organisation = session.execute(context_query(proposal)).unique().one()
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


# --- the working copy, the open-for-changes guard, the audit event --------------------------------


def partner_organisations(session: Session, proposal: Proposal) -> dict[int, Organisation]:
    """The working copy's registered partners by id, as they stand now (a submission freezes their ownership)."""
    ids = {p.organisation_id for p in working_copy(proposal).partners if p.organisation_id is not None}
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}


def working_copy(proposal: Proposal) -> ProposalDraft:
    """A copy to change and store back with ``model_dump()`` (JSON columns notice assignment, not mutation)."""
    return ProposalDraft.model_validate(proposal.draft or {})


def require_open(challenge: Challenge, stage: ChallengeStage, now: datetime) -> None:
    if challenge.is_cancelled:
        raise ChallengeCancelled()
    if now >= stage.deadline_at:
        raise StageClosed(stage.deadline_at)
    if not permissions.is_open_for_changes(challenge, stage, now):
        raise StageNotOpen()


def audit_event(session: Session, proposal: Proposal, *, actor: Actor, action: str, now: datetime, **data: Any) -> None:
    record_event(
        session,
        actor=actor,
        action=action,
        object_type="proposal",
        object_id=proposal.id,
        at=now,
        data=audit_data(proposal, **data),
    )


def audit_data(proposal: Proposal, **data: Any) -> dict[str, Any]:
    """What every audit event about a proposal carries: its challenge and stage, then the event's own data."""
    return {"challenge_id": proposal.challenge_id, "stage_id": proposal.stage_id, **data}


# --- what the pages show --------------------------------------------------------------------------


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
        "draft": working_copy(proposal),
        "unsubmitted_changes": has_unsubmitted_changes(proposal),
    }


def has_unsubmitted_changes(proposal: Proposal) -> bool:
    """A submitted proposal whose working copy was saved after its last submission: the standing version is still
    the submitted one until the company submits again."""
    return (
        proposal.status == ProposalStatus.SUBMITTED
        and proposal.submitted_at is not None
        and proposal.updated_at > proposal.submitted_at
    )


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

"""Four eyes: a stage's decision set and a challenge's procurement route are approved by a second coordinator.

The one who approves is a coordinator of the challenge and not the one who prepared: not one who prepared a
decision of the set, not the one who confirmed the route. Release waits for the approved set; any change to
a decision after approval withdraws the approval (the set and each of its decisions go back to prepared), as
confirming the route again withdraws its approval. Every step is audited with the names of both people.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, InvalidTransition, NotPermitted, ValidationFailed
from app.evaluations import service as evaluation_service
from app.evaluations.decisions import rules as decision_rules
from app.evaluations.enums import (
    DECISION_MACHINE,
    DECISION_SET_MACHINE,
    ROUTE_MACHINE,
    DecisionSetStatus,
    DecisionStatus,
    RouteStatus,
)
from app.evaluations.models import Decision, DecisionSet, RouteDecision
from app.evaluations.pool.service import is_challenge_coordinator
from app.evaluations.results.rules import EvaluationPolicy
from app.evaluations.results.service import StageResults, stage_results
from app.i18n import N_
from app.proposals.models import Proposal
from app.statemachine import HasStatus

MSG_NOT_COORDINATOR = N_("Only a coordinator of this challenge can approve.")
MSG_PREPARER = N_("You prepared decisions of this set: a second coordinator must approve them.")
MSG_ROUTE_PREPARER = N_("You confirmed this route: a second coordinator must approve it.")
MSG_NOT_APPROVED = N_("The decisions have not been approved by a second coordinator.")
MSG_MISSING = N_("%(missing)s of the %(total)s proposals of this stage have no decision yet: %(references)s.")
MSG_NOTHING = N_("There are no decisions to release.")
MSG_ALREADY_APPROVED = N_("The decisions are already approved.")
MSG_NO_ROUTE = N_("No route has been confirmed yet.")
MSG_ROUTE_ALREADY_APPROVED = N_("The route is already approved.")


def require_second_coordinator(
    session: Session, *, challenge: Challenge, actor: Actor, prepared_by: Iterable[int | None], message: str
) -> None:
    """Refuse anyone but a coordinator of the challenge, and the one (or any of those) who prepared."""
    if not is_challenge_coordinator(session, challenge_id=challenge.id, user_id=actor.user_id):
        raise NotPermitted(MSG_NOT_COORDINATOR)
    if actor.user_id in set(prepared_by):
        raise NotPermitted(message)


def _names(session: Session, user_ids: Iterable[int | None]) -> list[str]:
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return []
    users = {user.id: user.name for user in session.scalars(select(User).where(User.id.in_(ids)))}
    return [users[user_id] for user_id in ids if user_id in users]


def _name(session: Session, user_id: int | None) -> str | None:
    names = _names(session, [user_id])
    return names[0] if names else None


# --- the decision set -----------------------------------------------------------------------------


def get_decision_set(session: Session, *, stage_id: int) -> DecisionSet | None:
    return session.get(DecisionSet, stage_id)


def stage_decisions(session: Session, *, stage_id: int) -> list[Decision]:
    return list(
        session.scalars(
            select(Decision)
            .join(Proposal, Proposal.id == Decision.proposal_id)
            .where(Proposal.stage_id == stage_id)
            .order_by(Decision.proposal_id)
        )
    )


def decision_changed(session: Session, *, stage: ChallengeStage, actor: Actor, now: datetime, proposal_id: int) -> None:
    """After a decision of the stage was prepared or changed: the set exists, and an approval is withdrawn."""
    decision_set = session.get(DecisionSet, stage.id)
    if decision_set is None:
        session.add(DecisionSet(stage_id=stage.id, status=DecisionSetStatus.PREPARED.value, updated_at=now))
        session.flush()
        return
    decision_set.updated_at = now
    if decision_set.status != DecisionSetStatus.APPROVED.value:
        return
    withdrawn = _name(session, decision_set.approved_by_id)
    DECISION_SET_MACHINE.move(
        session,
        cast(HasStatus, decision_set),
        DecisionSetStatus.PREPARED,
        actor=actor,
        now=now,
        object_id=stage.id,
        action="decision_set.approval_withdrawn",
        data={"changed_proposal_id": proposal_id, "approved_by": withdrawn},
    )
    decision_set.approved_by_id = None
    decision_set.approved_at = None
    for decision in stage_decisions(session, stage_id=stage.id):
        if decision.status == DecisionStatus.REVIEWED.value:
            DECISION_MACHINE.move(
                session,
                cast(HasStatus, decision),
                DecisionStatus.PREPARED,
                actor=actor,
                now=now,
                object_id=decision.proposal_id,
                action="decision.approval_withdrawn",
            )
            decision.reviewed_by_id = None
            decision.reviewed_at = None
    session.flush()


def set_problems(results: StageResults, decision_set: DecisionSet | None, *, release: bool) -> list[FieldError]:
    """What keeps a stage's decisions from approval (or, with ``release``, from release)."""
    pending = [item for item in results.proposals if item.admissible]
    if not pending:
        return [FieldError("__all__", MSG_NOTHING)]
    problems: list[FieldError] = []
    missing = [item.reference for item in pending if item.decision is None]
    if missing:
        params = {"missing": len(missing), "total": len(pending), "references": ", ".join(missing)}
        problems.append(FieldError("__all__", MSG_MISSING, params))
    for item in pending:
        if item.decision is not None and item.ranked is not None:
            problem = decision_rules.outcome_problem(
                item.decision.outcome, reference=item.reference, knock_out=item.ranked.knock_out
            )
            if problem is not None:
                problems.append(problem)
    approved = decision_set is not None and decision_set.status == DecisionSetStatus.APPROVED.value
    if release and not approved:
        problems.append(FieldError("__all__", MSG_NOT_APPROVED))
    return problems


def approve_decisions(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    actor: Actor,
    now: datetime,
    policy: EvaluationPolicy,
) -> int:
    """A second coordinator approves the stage's decisions as a whole; returns how many.

    Refused (``NotPermitted``) for anyone who is not a coordinator of the challenge and for anyone who
    prepared one of the decisions; refused while a proposal has no decision or a positive decision breaks
    the rules. Audited on the stage with the names of those who prepared and the one who approved.
    """
    evaluation_service.require_open_evaluation(session, stage=stage)
    results = stage_results(session, challenge=challenge, stage=stage, now=now, policy=policy)
    items = [item for item in results.proposals if item.admissible and item.decision is not None]
    decisions = [cast(Decision, item.decision) for item in items]
    preparers = {decision.prepared_by_id for decision in decisions}
    require_second_coordinator(session, challenge=challenge, actor=actor, prepared_by=preparers, message=MSG_PREPARER)
    decision_set = session.get(DecisionSet, stage.id)
    problems = set_problems(results, decision_set, release=False)
    if problems:
        raise ValidationFailed(errors=problems)
    if decision_set is None:
        decision_set = DecisionSet(stage_id=stage.id, status=DecisionSetStatus.PREPARED.value, updated_at=now)
        session.add(decision_set)
    if decision_set.status != DecisionSetStatus.PREPARED.value:
        raise InvalidTransition(MSG_ALREADY_APPROVED)
    _approve_each(session, decisions, actor=actor, now=now)
    decision_set.approved_by_id = actor.user_id
    decision_set.approved_at = now
    decision_set.updated_at = now
    session.flush()
    DECISION_SET_MACHINE.move(
        session,
        cast(HasStatus, decision_set),
        DecisionSetStatus.APPROVED,
        actor=actor,
        now=now,
        object_id=stage.id,
        action="decision_set.approve",
        data={
            "prepared_by": _names(session, preparers),
            "approved_by": _name(session, actor.user_id),
            "decisions": {item.reference: cast(Decision, item.decision).outcome for item in items},
        },
    )
    return len(decisions)


def set_names(session: Session, *, stage: ChallengeStage, decision_set: DecisionSet) -> dict[str, object]:
    """Who prepared the stage's decisions and who approved them, for the release's audit event."""
    preparers = {decision.prepared_by_id for decision in stage_decisions(session, stage_id=stage.id)}
    return {"prepared_by": _names(session, preparers), "approved_by": _name(session, decision_set.approved_by_id)}


def _approve_each(session: Session, decisions: list[Decision], *, actor: Actor, now: datetime) -> None:
    """Each decision of the approved set carries the approval (``reviewed_by_id``/``reviewed_at``)."""
    for decision in decisions:
        if decision.status == DecisionStatus.PREPARED.value:
            DECISION_MACHINE.move(
                session,
                cast(HasStatus, decision),
                DecisionStatus.REVIEWED,
                actor=actor,
                now=now,
                object_id=decision.proposal_id,
                action="decision.approve",
            )
        decision.reviewed_by_id = actor.user_id
        decision.reviewed_at = now


def mark_released(session: Session, *, stage: ChallengeStage, actor: Actor, now: datetime) -> None:
    """The approved set is released (release checked the approval first)."""
    decision_set = session.get_one(DecisionSet, stage.id)
    decision_set.updated_at = now
    DECISION_SET_MACHINE.move(
        session, cast(HasStatus, decision_set), DecisionSetStatus.RELEASED, actor=actor, now=now, object_id=stage.id
    )


@dataclass(frozen=True)
class Approval:
    """Who prepared and who approved, as the decisions and route pages show it, and what the viewer may do."""

    status: str  # a DecisionSetStatus or RouteStatus value; shown with its machine's label
    label: str  # the status's msgid
    prepared_by: tuple[str, ...]
    prepared_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    can_approve: bool  # the viewer is a coordinator of the challenge who did not prepare, and it awaits approval
    is_preparer: bool  # the viewer prepared (the page says why there is no button)


def decision_set_approval(session: Session, *, challenge: Challenge, stage: ChallengeStage, viewer: int) -> Approval:
    decision_set = session.get(DecisionSet, stage.id)
    decisions = stage_decisions(session, stage_id=stage.id)
    status = decision_set.status if decision_set is not None else DecisionSetStatus.PREPARED.value
    preparers = {decision.prepared_by_id for decision in decisions}
    awaiting = bool(decisions) and status == DecisionSetStatus.PREPARED.value
    coordinator = is_challenge_coordinator(session, challenge_id=challenge.id, user_id=viewer)
    return Approval(
        status=status,
        label=DECISION_SET_MACHINE.label(status),
        prepared_by=tuple(_names(session, preparers)),
        prepared_at=max((decision.prepared_at for decision in decisions), default=None),
        approved_by=_name(session, decision_set.approved_by_id) if decision_set is not None else None,
        approved_at=decision_set.approved_at if decision_set is not None else None,
        can_approve=awaiting and coordinator and viewer not in preparers,
        is_preparer=awaiting and viewer in preparers,
    )


# --- the procurement route ------------------------------------------------------------------------


def approve_route(session: Session, *, challenge: Challenge, actor: Actor, now: datetime) -> RouteDecision:
    """A second coordinator approves the confirmed route; never the one who confirmed it."""
    route = session.get(RouteDecision, challenge.id)
    if route is None:
        raise InvalidTransition(MSG_NO_ROUTE)
    require_second_coordinator(
        session, challenge=challenge, actor=actor, prepared_by=[route.decided_by_id], message=MSG_ROUTE_PREPARER
    )
    if route.status != RouteStatus.CONFIRMED.value:
        raise InvalidTransition(MSG_ROUTE_ALREADY_APPROVED)
    route.approved_by_id = actor.user_id
    route.approved_at = now
    ROUTE_MACHINE.move(
        session,
        cast(HasStatus, route),
        RouteStatus.APPROVED,
        actor=actor,
        now=now,
        object_id=challenge.id,
        action="procurement_route.approve",
        data={
            "chosen": route.chosen,
            "confirmed_by": _name(session, route.decided_by_id),
            "approved_by": _name(session, actor.user_id),
        },
    )
    session.flush()
    return route


def route_approval(session: Session, *, challenge: Challenge, route: RouteDecision, viewer: int) -> Approval:
    awaiting = route.status == RouteStatus.CONFIRMED.value
    coordinator = is_challenge_coordinator(session, challenge_id=challenge.id, user_id=viewer)
    return Approval(
        status=route.status,
        label=ROUTE_MACHINE.label(route.status),
        prepared_by=tuple(_names(session, [route.decided_by_id])),
        prepared_at=route.decided_at,
        approved_by=_name(session, route.approved_by_id),
        approved_at=route.approved_at,
        can_approve=awaiting and coordinator and viewer != route.decided_by_id,
        is_preparer=awaiting and viewer == route.decided_by_id,
    )

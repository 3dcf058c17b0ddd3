"""Decisions: prepare, review, release, shortlist and invitation, and the released decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import service as audit_service
from app.audit.models import PublishedHead
from app.audit.service import Actor, publish_head, record_event
from app.challenges import service as challenge_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import permissions
from app.evaluations import service as evaluation_service
from app.evaluations.approvals import service as approval_service
from app.evaluations.decisions import rules as decision_rules
from app.evaluations.decisions.snapshot import release_snapshot, released_result
from app.evaluations.eligibility import service as eligibility_service
from app.evaluations.enums import DECISION_MACHINE, DecisionOutcome, DecisionStatus
from app.evaluations.models import Decision, RouteDecision
from app.evaluations.results import rules as results_rules
from app.evaluations.results.queries import consensus_values, decisions_of
from app.evaluations.results.rules import EvaluationPolicy
from app.evaluations.results.service import ProposalResult, StageResults, criterion_rules, stage_results
from app.evaluations.schemas import DecisionForm
from app.evaluations.scoring import rules as scoring
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.proposals.models import Proposal
from app.statemachine import HasStatus


def next_stage(challenge: Challenge, stage: ChallengeStage) -> ChallengeStage | None:
    later = [s for s in challenge.stages if s.position > stage.position]
    return min(later, key=lambda s: s.position) if later else None


def _move(
    session: Session, decision: Decision, target: DecisionStatus, *, actor: Actor, now: datetime, **audit: Any
) -> None:
    """Move a decision through its machine; a released decision is refused with its own message."""
    if not DECISION_MACHINE.allows(decision.status, target):
        raise InvalidTransition(N_("The decision has been released and cannot change."))
    DECISION_MACHINE.move(
        session, cast(HasStatus, decision), target, actor=actor, now=now, object_id=decision.proposal_id, **audit
    )


def prepare_decision(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    proposal_id: int,
    form: DecisionForm,
    actor: Actor,
    now: datetime,
) -> Decision:
    """Prepare (or change) one proposal's decision and feedback; a change withdraws the set's approval."""
    if permissions.is_sealed(stage, now):
        raise NotFound()
    evaluation_service.get_standing(session, stage=stage, proposal_id=proposal_id)
    evaluation_service.require_open_evaluation(session, stage=stage)
    _check_outcome(session, challenge=challenge, stage=stage, proposal_id=proposal_id, form=form)
    decision = session.get(Decision, proposal_id)
    if decision is None:
        decision = Decision(
            proposal_id=proposal_id,
            outcome=form.outcome.value,
            feedback=form.feedback,
            status=DecisionStatus.PREPARED.value,  # a new decision starts in its machine's first state
            prepared_at=now,
        )
        session.add(decision)
        created = True
    else:
        if not DECISION_MACHINE.allows(decision.status, DecisionStatus.PREPARED):
            raise InvalidTransition(N_("The decision has been released and cannot change."))
        created = False
    decision.outcome = form.outcome.value
    decision.feedback = form.feedback
    decision.prepared_by_id = actor.user_id
    decision.prepared_at = now
    decision.reviewed_by_id = None
    decision.reviewed_at = None
    session.flush()
    data = {"outcome": form.outcome.value}
    if created:
        record_event(
            session,
            actor=actor,
            action="decision.prepare",
            object_type="proposal",
            object_id=proposal_id,
            at=now,
            data=data,
        )
    else:
        _move(session, decision, DecisionStatus.PREPARED, actor=actor, now=now, action="decision.prepare", data=data)
    # Four eyes: any change after approval withdraws the approval of the whole set.
    approval_service.decision_changed(session, stage=stage, actor=actor, now=now, proposal_id=proposal_id)
    return decision


def _check_outcome(
    session: Session, *, challenge: Challenge, stage: ChallengeStage, proposal_id: int, form: DecisionForm
) -> None:
    """Decisions bind: an invitation needs a next stage; a positive outcome needs consensus and no knock-out."""
    if form.outcome == DecisionOutcome.INVITE and next_stage(challenge, stage) is None:
        raise ValidationFailed(
            errors=[FieldError("outcome", N_("This is the last stage: there is no next stage to invite to."))]
        )
    reference = session.get_one(Proposal, proposal_id).reference
    problem = decision_rules.outcome_problem(
        form.outcome.value, reference=reference, knock_out=_knock_out(session, challenge, proposal_id), path="outcome"
    )
    if problem is not None:
        raise ValidationFailed(errors=[problem])


def _knock_out(session: Session, challenge: Challenge, proposal_id: int) -> scoring.KnockOut:
    """The proposal's consensus scores against the knock-out rules of the challenge's current definition."""
    definition = challenge_service.current_definition(challenge)
    keys = {criterion.key for criterion in definition.criteria}
    consensus = consensus_values(session, [proposal_id]).get(proposal_id, {})
    scores = {key: value.score for key, value in consensus.items() if key in keys}
    return scoring.knock_out(scores, criterion_rules(definition), definition.knockout_total_minimum)


@dataclass
class ReleasePreview:
    """What releasing a stage's decisions does, or why it cannot be done yet."""

    decisions: int
    outcomes: list[tuple[str, int]]  # (outcome, how many), in the order of ``DecisionOutcome``
    companies: int  # companies with at least one active member to e-mail
    closes_challenge: bool  # the last stage: the challenge becomes "decided"
    problems: list[FieldError]


@dataclass(frozen=True)
class ReleaseRecord:
    """When, by whom and to how many companies a stage's decisions were released, and who prepared and who
    approved them (as the release's audit event recorded it)."""

    released_at: datetime
    released_by: str
    decisions: int
    companies: int
    prepared_by: str = ""
    approved_by: str = ""


def _outcome_counts(pending: list[ProposalResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in pending:
        if item.decision is not None:
            counts[item.decision.outcome] = counts.get(item.decision.outcome, 0) + 1
    return counts


def _notified(session: Session, pending: list[ProposalResult]) -> tuple[dict[int, list[User]], int]:
    """The e-mail recipients per organisation, and how many companies have at least one."""
    organisations = {item.standing.proposal.organisation_id for item in pending}
    recipients = eligibility_service.organisation_recipients(session, organisation_ids=organisations)
    return recipients, sum(1 for organisation_id in organisations if recipients.get(organisation_id))


def release_preview(
    session: Session, *, challenge: Challenge, stage: ChallengeStage, now: datetime, policy: EvaluationPolicy
) -> ReleasePreview:
    """What the confirmation page says before release: the decisions by outcome and who is e-mailed."""
    results = stage_results(session, challenge=challenge, stage=stage, now=now, policy=policy)
    pending = [item for item in results.proposals if item.admissible]
    counts = _outcome_counts(pending)
    _, companies = _notified(session, pending)
    return ReleasePreview(
        decisions=sum(counts.values()),
        outcomes=[(outcome.value, counts[outcome.value]) for outcome in DecisionOutcome if outcome.value in counts],
        companies=companies,
        closes_challenge=next_stage(challenge, stage) is None,
        problems=approval_service.set_problems(
            results, approval_service.get_decision_set(session, stage_id=stage.id), release=True
        ),
    )


def release_record(session: Session, *, stage: ChallengeStage) -> ReleaseRecord | None:
    """The stage's release as the audit trail recorded it; None before release."""
    event = audit_service.latest_event(
        session, action="decision.release", object_type="challenge_stage", object_id=stage.id
    )
    if event is None:
        return None
    user = session.get(User, event.actor_id) if event.actor_id is not None else None
    count = int(event.data.get("count", 0))
    return ReleaseRecord(
        released_at=event.occurred_at,
        released_by=user.name if user is not None else event.actor_label,
        decisions=count,
        companies=int(event.data.get("companies", count)),
        prepared_by=", ".join(event.data.get("prepared_by", [])),
        approved_by=str(event.data.get("approved_by") or ""),
    )


# A challenge can be decided from these statuses (from "published" through "evaluation").
_DECIDABLE = frozenset(
    {ChallengeStatus.PUBLISHED.value, ChallengeStatus.EVALUATION.value, ChallengeStatus.DECIDED.value}
)


def _decide_challenge(session: Session, *, challenge: Challenge, actor: Actor, now: datetime) -> None:
    """After the last stage's release the challenge is decided, through "evaluation" if it was still published."""
    if challenge.status == ChallengeStatus.PUBLISHED.value:
        challenge_service.transition_challenge(
            session, challenge=challenge, to=ChallengeStatus.EVALUATION, actor=actor, now=now
        )
    if challenge.status == ChallengeStatus.EVALUATION.value:
        challenge_service.transition_challenge(
            session, challenge=challenge, to=ChallengeStatus.DECIDED, actor=actor, now=now
        )


def _release_one(
    session: Session,
    *,
    results: StageResults,
    item: ProposalResult,
    titles: dict[str, Any],
    actor: Actor,
    now: datetime,
) -> None:
    """Release one proposal's decision: its status, and the consensus and result snapshots."""
    decision = item.decision
    assert decision is not None
    _move(session, decision, DecisionStatus.RELEASED, actor=actor, now=now)
    decision.released_at = now
    item.standing.proposal.decision_released_at = now
    decision.released_scores = {
        key: {"score": row.score, "rationale": row.rationale, "title": titles[key].model_dump()}
        for key, row in item.consensus.items()
        if key in titles
    }
    decision.released_result = release_snapshot(results, item)


def _mail_decision(
    session: Session,
    *,
    challenge: Challenge,
    item: ProposalResult,
    head: PublishedHead,
    recipients: dict[int, list[User]],
    now: datetime,
    links: Links,
) -> None:
    """The company's notice of its released decision, with the audit trail's head at the release."""
    decision = item.decision
    assert decision is not None
    for user in recipients.get(item.standing.proposal.organisation_id, []):
        language = user.language
        queue_email(
            session,
            to=user.email,
            template="decision_released",
            language=language,
            context={
                "reference": item.reference,
                "challenge_title": challenge.title(language),
                "outcome": decision.outcome,
                "feedback": decision.feedback,
                "result": released_result(decision, language),
                "link": links.url("proposal_decision", proposal_id=item.proposal_id),
                "audit_head": f"{head.event_count}:{head.head_hash}",
            },
            now=now,
            user_id=user.id,
        )


def _route_chosen(session: Session, challenge: Challenge) -> str | None:
    route = session.get(RouteDecision, challenge.id)
    return route.chosen if route is not None else None


def release_decisions(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    actor: Actor,
    now: datetime,
    policy: EvaluationPolicy,
    links: Links,
) -> int:
    """Release every decision of the stage together and e-mail each company its decision, consensus and feedback.

    Refused unless every admissible proposal has a decision and a second coordinator approved the set, and once
    the stage is released (release closes the stage's evaluation for good). Releasing the last stage moves the challenge to "decided".
    Never an evaluator's identity.
    """
    evaluation_service.require_open_evaluation(session, stage=stage)
    closes_challenge = next_stage(challenge, stage) is None
    if closes_challenge and challenge.status not in _DECIDABLE:
        raise InvalidTransition(
            N_("This challenge has been cancelled or archived: its decisions can no longer be released.")
        )
    results = stage_results(session, challenge=challenge, stage=stage, now=now, policy=policy)
    pending = [item for item in results.proposals if item.admissible]
    decision_set = approval_service.get_decision_set(session, stage_id=stage.id)
    problems = approval_service.set_problems(results, decision_set, release=True)
    if problems or decision_set is None:
        raise ValidationFailed(errors=problems)
    recipients, companies = _notified(session, pending)
    names = approval_service.set_names(session, stage=stage, decision_set=decision_set)
    titles = {c.key: c.title for c in results.definition.criteria}
    outcomes = _outcome_counts(pending)
    for item in pending:
        _release_one(session, results=results, item=item, actor=actor, now=now, titles=titles)
    session.flush()
    event = record_event(
        session,
        actor=actor,
        action="decision.release",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={
            "count": len(pending),
            "companies": companies,
            "outcomes": outcomes,
            "route": _route_chosen(session, challenge),  # as published with the outcome (OCDS, public page)
            **names,
        },
    )
    head = publish_head(session, event=event, data={"challenge": challenge.slug, "stage": stage.key})
    for item in pending:  # after the head is kept, so each notice carries it
        _mail_decision(session, challenge=challenge, item=item, head=head, now=now, links=links, recipients=recipients)
    approval_service.mark_released(session, stage=stage, actor=actor, now=now)
    if closes_challenge:
        _decide_challenge(session, challenge=challenge, actor=actor, now=now)
    return len(pending)


def shortlist(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    top: int,
    actor: Actor,
    now: datetime,
    policy: EvaluationPolicy,
    feedback: str,
) -> list[str]:
    """Prepare an 'invite' (or, in the last stage, 'award') decision for the best ``top`` ranked proposals."""
    results = stage_results(session, challenge=challenge, stage=stage, now=now, policy=policy)
    evaluation_service.require_open_evaluation(session, stage=stage)
    chosen = results_rules.shortlist([item.ranked for item in results.ranking if item.ranked], top=top)
    outcome = DecisionOutcome.INVITE if next_stage(challenge, stage) is not None else DecisionOutcome.AWARD
    by_reference = {item.reference: item for item in results.ranking}
    for reference in chosen:
        item = by_reference[reference]
        if item.decision is None or item.decision.status != DecisionStatus.RELEASED.value:
            prepare_decision(
                session,
                challenge=challenge,
                stage=stage,
                proposal_id=item.proposal_id,
                form=DecisionForm(outcome=outcome, feedback=feedback),
                actor=actor,
                now=now,
            )
    record_event(
        session,
        actor=actor,
        action="evaluation.shortlist",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"proposals": list(chosen)},
    )
    return list(chosen)


def invite_shortlisted(
    session: Session, *, challenge: Challenge, stage: ChallengeStage, actor: Actor, now: datetime, links: Links
) -> int:
    """Invite the companies of released 'invite' decisions to the next stage (a prefilled draft each)."""
    from app.proposals.submissions import service as proposal_service

    target = next_stage(challenge, stage)
    if target is None:
        raise InvalidTransition(N_("This is the last stage: there is no next stage to invite to."))
    ids = [item.proposal.id for item in evaluation_service.standing(session, stage_id=stage.id)]
    count = 0
    for decision in decisions_of(session, ids).values():
        if (
            decision.outcome == DecisionOutcome.INVITE.value
            and decision.status == DecisionStatus.RELEASED.value
            and decision.invited_proposal_id is None
        ):
            proposal = session.get_one(Proposal, decision.proposal_id)
            invited = proposal_service.invite_to_stage(
                session, proposal=proposal, stage=target, actor=actor, now=now, links=links
            )
            decision.invited_proposal_id = invited.id
            count += 1
    session.flush()
    record_event(
        session,
        actor=actor,
        action="evaluation.invite_next_stage",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"count": count, "next_stage": target.key},
    )
    return count

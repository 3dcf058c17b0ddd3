"""Evaluation use cases for evaluators and the assignment side of the coordinators' work.

Services take the session first and keyword-only arguments, never commit, raise domain errors and record
an audit event for every change. Results, consensus, the procurement route and decisions live in
``service_decisions``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from app.accounts.enums import Role
from app.accounts.models import User, UserRole
from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage, ChallengeVersion
from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import assignment as assignment_rules
from app.evaluations import permissions
from app.evaluations.enums import (
    AssignmentStatus,
    DecisionStatus,
    EvaluationStatus,
)
from app.evaluations.models import (
    Assignment,
    Decision,
    EligibilityDecision,
    Evaluation,
    EvaluationScore,
    EvaluatorAffiliation,
    PoolMember,
    SecurityAssessment,
)
from app.evaluations.schemas import AffiliationForm, EligibilityForm
from app.i18n import N_
from app.notifications.service import queue_email
from app.organisations.models import Membership, Organisation
from app.proposals.enums import ProposalStatus
from app.proposals.models import Proposal, ProposalVersion

# An affiliation that ended longer ago than this no longer counts as a conflict.
CONFLICT_LOOKBACK = timedelta(days=3 * 365)
REQUIRED = N_("This field is required.")


# --- loading --------------------------------------------------------------------------------------


def get_stage(session: Session, *, challenge: Challenge, stage_key: str) -> ChallengeStage:
    for stage in challenge.stages:
        if stage.key == stage_key:
            return stage
    raise NotFound()


def get_managed_challenge(session: Session, *, slug: str, user: User) -> Challenge:
    """The challenge if the user manages it; 404 otherwise (its existence leaks nothing)."""
    try:
        challenge = challenge_service.get_challenge_by_slug(session, slug=slug)
    except NotFound:
        raise
    if not permissions.can_manage(session, user, challenge):
        raise NotFound()
    return challenge


def definition_for(challenge: Challenge, number: int) -> ChallengeDefinition:
    """The definition of the challenge version a proposal answered (the criteria and weights it was told)."""
    for version in challenge.versions:
        if version.number == number:
            return challenge_service.version_definition(version)
    return challenge_service.current_definition(challenge)


def version_definitions(session: Session, *, challenge_id: int) -> dict[int, ChallengeDefinition]:
    versions = session.scalars(select(ChallengeVersion).where(ChallengeVersion.challenge_id == challenge_id))
    return {version.number: challenge_service.version_definition(version) for version in versions}


@dataclass
class Standing:
    """A submitted proposal and the version that stands at the deadline."""

    proposal: Proposal
    version: ProposalVersion

    @property
    def content(self) -> dict[str, Any]:
        return self.version.content

    @property
    def organisation_name(self) -> str:
        return str(self.content.get("organisation", {}).get("legal_name", ""))


def standing(session: Session, *, stage_id: int, proposal_ids: Iterable[int] | None = None) -> list[Standing]:
    """Every submitted proposal of a stage with its latest version, in one query, ordered by proposal id."""
    query = (
        select(Proposal, ProposalVersion)
        .join(
            ProposalVersion,
            (ProposalVersion.proposal_id == Proposal.id) & (ProposalVersion.number == Proposal.version_count),
        )
        .where(Proposal.stage_id == stage_id, Proposal.status == ProposalStatus.SUBMITTED.value)
        .order_by(Proposal.id)
        .options(defer(Proposal.draft))  # the working copy is the company's, never evaluated
    )
    if proposal_ids is not None:
        query = query.where(Proposal.id.in_(list(proposal_ids)))
    return [Standing(proposal, version) for proposal, version in session.execute(query).all()]


def get_standing(session: Session, *, stage: ChallengeStage, proposal_id: int) -> Standing:
    found = standing(session, stage_id=stage.id, proposal_ids=[proposal_id])
    if not found:
        raise NotFound()
    return found[0]


def count_submitted(session: Session, *, stage_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Proposal.id)).where(
                Proposal.stage_id == stage_id, Proposal.status == ProposalStatus.SUBMITTED.value
            )
        )
        or 0
    )


def _require_unsealed(stage: ChallengeStage, now: datetime) -> None:
    if permissions.is_sealed(stage, now):
        raise NotFound()


MSG_STAGE_RELEASED = N_("The decisions of this stage have been released: its evaluation can no longer change.")


def is_stage_released(session: Session, *, stage_id: int) -> bool:
    """Whether the stage's decisions have been released (release is all at once, so one released decision says so)."""
    query = (
        select(Decision.proposal_id)
        .join(Proposal, Proposal.id == Decision.proposal_id)
        .where(Proposal.stage_id == stage_id, Decision.status == DecisionStatus.RELEASED.value)
        .limit(1)
    )
    return session.scalar(query) is not None


def require_open_evaluation(session: Session, *, stage: ChallengeStage) -> None:
    """Refuse any change to the evaluation of a stage whose decisions have been released."""
    if is_stage_released(session, stage_id=stage.id):
        raise InvalidTransition(MSG_STAGE_RELEASED)


# --- affiliations ---------------------------------------------------------------------------------


def list_affiliations(session: Session, *, user_id: int) -> list[EvaluatorAffiliation]:
    return list(
        session.scalars(
            select(EvaluatorAffiliation)
            .where(EvaluatorAffiliation.user_id == user_id)
            .order_by(EvaluatorAffiliation.organisation_name, EvaluatorAffiliation.id)
        )
    )


def add_affiliation(
    session: Session, *, user: User, form: AffiliationForm, actor: Actor, now: datetime
) -> EvaluatorAffiliation:
    """Record a tie with an organisation; it blocks assignments to proposals that organisation takes part in."""
    errors: list[FieldError] = []
    if form.kvk_number is None and not (form.country and form.registry_id):
        errors.append(
            FieldError(
                "kvk_number", N_("Give the KvK number, or the country and registration number of the organisation.")
            )
        )
    if form.valid_from and form.valid_until and form.valid_until < form.valid_from:
        errors.append(FieldError("valid_until", N_("The end of the period cannot be before its start.")))
    if errors:
        raise ValidationFailed(errors=errors)
    from app.organisations.models import Organisation

    organisation_id = None
    if form.kvk_number:
        organisation_id = session.scalar(select(Organisation.id).where(Organisation.kvk_number == form.kvk_number))
    elif form.country and form.registry_id:
        organisation_id = session.scalar(
            select(Organisation.id).where(
                Organisation.country == form.country, Organisation.registry_id == form.registry_id
            )
        )
    affiliation = EvaluatorAffiliation(
        user_id=user.id,
        organisation_name=form.organisation_name,
        organisation_id=organisation_id,
        kvk_number=form.kvk_number,
        country=form.country if form.kvk_number is None else "NL",
        registry_id=form.registry_id if form.kvk_number is None else None,
        nature=form.nature.value,
        valid_from=form.valid_from,
        valid_until=form.valid_until,
        created_at=now,
    )
    session.add(affiliation)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="affiliation.add",
        object_type="evaluator_affiliation",
        object_id=affiliation.id,
        at=now,
        data={"organisation": form.organisation_name, "kvk_number": form.kvk_number, "nature": form.nature.value},
    )
    return affiliation


def remove_affiliation(session: Session, *, user: User, affiliation_id: int, actor: Actor, now: datetime) -> None:
    affiliation = session.get(EvaluatorAffiliation, affiliation_id)
    if affiliation is None or affiliation.user_id != user.id:
        raise NotFound()
    record_event(
        session,
        actor=actor,
        action="affiliation.remove",
        object_type="evaluator_affiliation",
        object_id=affiliation.id,
        at=now,
        data={"organisation": affiliation.organisation_name},
    )
    session.delete(affiliation)
    session.flush()


def parties_of(item: Standing) -> assignment_rules.ProposalParties:
    """Every organisation of a proposal's consortium (lead first), as the conflict check compares them."""
    content = item.content
    lead = content.get("organisation") or {}
    organisations = [
        assignment_rules.OrganisationIdentity(
            organisation_id=lead.get("id") or item.proposal.organisation_id,
            kvk_number=lead.get("kvk_number"),
            country=lead.get("country"),
            registry_id=lead.get("registry_id"),
            name=lead.get("legal_name", ""),
        )
    ]
    for partner in content.get("partners") or []:
        organisations.append(
            assignment_rules.OrganisationIdentity(
                organisation_id=partner.get("organisation_id"),
                kvk_number=partner.get("kvk_number"),
                country=partner.get("country"),
                registry_id=partner.get("registry_id"),
                name=partner.get("legal_name", ""),
            )
        )
    return assignment_rules.ProposalParties(reference=item.proposal.reference, organisations=tuple(organisations))


def is_current(affiliation: EvaluatorAffiliation, today: date) -> bool:
    """An affiliation counts from its start until three years after its end."""
    if affiliation.valid_from and affiliation.valid_from > today:
        return False
    return affiliation.valid_until is None or affiliation.valid_until >= today - CONFLICT_LOOKBACK


def evaluator_of(
    user: User, affiliations: Iterable[EvaluatorAffiliation], *, today: date
) -> assignment_rules.Evaluator:
    return assignment_rules.Evaluator(
        id=user.id,
        email=user.email,
        affiliations=tuple(
            assignment_rules.OrganisationIdentity(
                organisation_id=a.organisation_id,
                kvk_number=a.kvk_number,
                country=a.country,
                registry_id=a.registry_id,
                name=a.organisation_name,
            )
            for a in affiliations
            if is_current(a, today)
        ),
    )


def affiliations_by_user(session: Session, *, user_ids: Iterable[int]) -> dict[int, list[EvaluatorAffiliation]]:
    result: dict[int, list[EvaluatorAffiliation]] = {}
    ids = list(user_ids)
    if not ids:
        return result
    for affiliation in session.scalars(select(EvaluatorAffiliation).where(EvaluatorAffiliation.user_id.in_(ids))):
        result.setdefault(affiliation.user_id, []).append(affiliation)
    return result


# --- eligibility ----------------------------------------------------------------------------------


def eligibility_of(session: Session, *, proposal_ids: Iterable[int]) -> dict[int, EligibilityDecision]:
    ids = list(proposal_ids)
    if not ids:
        return {}
    rows = session.scalars(select(EligibilityDecision).where(EligibilityDecision.proposal_id.in_(ids)))
    return {row.proposal_id: row for row in rows}


@dataclass(frozen=True)
class EligibilityFacts:
    """What eligibility turns on for one proposal (its standing version and its organisation), each fact with
    whether it meets the challenge's rule."""

    country: str
    sme: bool | None
    partners: int
    trl: int | None
    received_at: datetime
    country_allowed: bool
    sme_allowed: bool
    partners_allowed: bool
    trl_in_window: bool


def eligibility_facts(
    session: Session, *, definition: ChallengeDefinition, items: list[Standing]
) -> dict[int, EligibilityFacts]:
    """The facts of every proposal by id: the lead's country, partners and claimed TRL as the standing version
    gives them, the SME flag from the organisation, against the definition's eligibility rules and TRL window."""
    ids = {item.proposal.organisation_id for item in items}
    organisations = (
        {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}
    )
    rules, window = definition.eligibility, definition.trl
    result: dict[int, EligibilityFacts] = {}
    for item in items:
        organisation = organisations.get(item.proposal.organisation_id)
        lead = item.content.get("organisation") or {}
        country = str(lead.get("country") or (organisation.country if organisation else ""))
        sme = organisation.is_sme if organisation else None
        partners = len(item.content.get("partners") or [])
        claimed = item.content.get("trl")
        trl = claimed if isinstance(claimed, int) else None
        result[item.proposal.id] = EligibilityFacts(
            country=country,
            sme=sme,
            partners=partners,
            trl=trl,
            received_at=item.version.received_at,
            country_allowed=not rules.lead_countries or country in rules.lead_countries,
            sme_allowed=not rules.sme_only or sme is True,
            partners_allowed=(partners == 0 or rules.consortium_allowed)
            and (rules.max_partners is None or partners <= rules.max_partners),
            trl_in_window=trl is not None and window.min <= trl <= window.max,
        )
    return result


def organisation_recipients(session: Session, *, organisation_ids: Iterable[int]) -> dict[int, list[User]]:
    ids = list(organisation_ids)
    result: dict[int, list[User]] = {}
    if not ids:
        return result
    rows = session.execute(
        select(Membership.organisation_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id.in_(ids), User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    for organisation_id, user in rows:
        result.setdefault(organisation_id, []).append(user)
    return result


def set_eligibility(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    proposal_id: int,
    form: EligibilityForm,
    actor: Actor,
    now: datetime,
) -> EligibilityDecision:
    """Mark a submitted proposal admissible or not (with the reason) and tell the company's members."""
    _require_unsealed(stage, now)
    require_open_evaluation(session, stage=stage)
    if not form.admissible and not form.reason:
        raise ValidationFailed(errors=[FieldError("reason", N_("Give the reason why the proposal is not admissible."))])
    item = get_standing(session, stage=stage, proposal_id=proposal_id)
    decision = session.get(EligibilityDecision, proposal_id)
    if decision is None:
        decision = EligibilityDecision(proposal_id=proposal_id, admissible=form.admissible, decided_at=now)
        session.add(decision)
    decision.admissible = form.admissible
    decision.reason = form.reason
    decision.decided_by_id = actor.user_id
    decision.decided_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="proposal.eligibility",
        object_type="proposal",
        object_id=proposal_id,
        at=now,
        data={"admissible": form.admissible, "reason": form.reason},
    )
    for user in organisation_recipients(session, organisation_ids=[item.proposal.organisation_id]).get(
        item.proposal.organisation_id, []
    ):
        queue_email(
            session,
            to=user.email,
            template="evaluation_eligibility",
            language=user.language,
            context={
                "reference": item.proposal.reference,
                "challenge_title": challenge.title(user.language),
                "admissible": form.admissible,
                "reason": form.reason,
            },
            now=now,
            user_id=user.id,
        )
    return decision


# --- pool and assignments -------------------------------------------------------------------------


def list_evaluators(session: Session) -> list[User]:
    """Every active user with the evaluator role."""
    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.EVALUATOR.value, User.is_active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def list_pool(session: Session, *, challenge_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(PoolMember, PoolMember.user_id == User.id)
            .where(PoolMember.challenge_id == challenge_id)
            .order_by(User.name, User.id)
        )
    )


def add_to_pool(session: Session, *, challenge: Challenge, user_id: int, actor: Actor, now: datetime) -> None:
    evaluators = {user.id: user for user in list_evaluators(session)}
    if user_id not in evaluators:
        raise ValidationFailed(errors=[FieldError("evaluator_id", N_("Choose an evaluator from the list."))])
    if session.get(PoolMember, (challenge.id, user_id)) is not None:
        return
    session.add(PoolMember(challenge_id=challenge.id, user_id=user_id, added_at=now, added_by_id=actor.user_id))
    session.flush()
    record_event(
        session,
        actor=actor,
        action="evaluation.pool_add",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"evaluator_id": user_id},
    )


def remove_from_pool(session: Session, *, challenge: Challenge, user_id: int, actor: Actor, now: datetime) -> None:
    member = session.get(PoolMember, (challenge.id, user_id))
    if member is None:
        raise NotFound()
    session.delete(member)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="evaluation.pool_remove",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"evaluator_id": user_id},
    )


def assignments_for_stage(session: Session, *, stage_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(Proposal.stage_id == stage_id)
            .order_by(Assignment.proposal_id, Assignment.id)
        )
    )


def evaluations_by_assignment(session: Session, *, assignment_ids: Iterable[int]) -> dict[int, Evaluation]:
    ids = list(assignment_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Evaluation).where(Evaluation.assignment_id.in_(ids)))
    return {row.assignment_id: row for row in rows}


def scores_by_evaluation(session: Session, *, evaluation_ids: Iterable[int]) -> dict[int, dict[str, EvaluationScore]]:
    ids = list(evaluation_ids)
    result: dict[int, dict[str, EvaluationScore]] = {}
    if not ids:
        return result
    for row in session.scalars(select(EvaluationScore).where(EvaluationScore.evaluation_id.in_(ids))):
        result.setdefault(row.evaluation_id, {})[row.criterion_key] = row
    return result


def assessments_by_assignment(session: Session, *, assignment_ids: Iterable[int]) -> dict[int, SecurityAssessment]:
    ids = list(assignment_ids)
    if not ids:
        return {}
    rows = session.scalars(select(SecurityAssessment).where(SecurityAssessment.assignment_id.in_(ids)))
    return {row.assignment_id: row for row in rows}


def _check_assignable(
    session: Session, *, stage: ChallengeStage, item: Standing, evaluator: User, today: date
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not permissions.is_evaluator(evaluator):
        errors.append(FieldError("evaluator_id", MSG_NOT_EVALUATOR))
        return errors
    eligibility = session.get(EligibilityDecision, item.proposal.id)
    if eligibility is not None and not eligibility.admissible:
        errors.append(FieldError("proposal_id", MSG_INADMISSIBLE))
    existing = session.scalar(
        select(Assignment).where(Assignment.proposal_id == item.proposal.id, Assignment.evaluator_id == evaluator.id)
    )
    if existing is not None:
        errors.append(FieldError("evaluator_id", MSG_ALREADY))
    candidate = evaluator_of(evaluator, list_affiliations(session, user_id=evaluator.id), today=today)
    if assignment_rules.has_conflict(candidate, parties_of(item)):
        errors.append(FieldError("evaluator_id", MSG_CONFLICT))
    return errors


def assign(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    proposal_id: int,
    evaluator_id: int,
    actor: Actor,
    now: datetime,
    link: str | None = None,
) -> Assignment:
    """Assign one evaluator to one proposal, unless a known conflict, a double or inadmissibility blocks it.

    With ``link`` (the absolute address of the evaluator's queue) the evaluator is told by e-mail; a bulk
    action leaves it out and tells each evaluator once for all their new proposals (``notify_assigned``).
    """
    _require_unsealed(stage, now)
    require_open_evaluation(session, stage=stage)
    item = get_standing(session, stage=stage, proposal_id=proposal_id)
    evaluator = session.get(User, evaluator_id)
    if evaluator is None:
        raise ValidationFailed(errors=[FieldError("evaluator_id", N_("Choose an evaluator from the list."))])
    errors = _check_assignable(session, stage=stage, item=item, evaluator=evaluator, today=now.date())
    if errors:
        raise ValidationFailed(errors=errors)
    assignment = Assignment(
        proposal_id=proposal_id,
        evaluator_id=evaluator_id,
        status=AssignmentStatus.ASSIGNED.value,
        assigned_at=now,
        assigned_by_id=actor.user_id,
    )
    session.add(assignment)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="assignment.create",
        object_type="evaluation_assignment",
        object_id=assignment.id,
        at=now,
        data={"proposal_id": proposal_id, "evaluator_id": evaluator_id},
    )
    if link is not None:
        notify_assigned(session, challenge=challenge, stage=stage, counts={evaluator_id: 1}, link=link, now=now)
    return assignment


def stage_title(challenge: Challenge, stage: ChallengeStage, language: str) -> str:
    """The stage's title in a language, as the challenge's current definition gives it (its key if absent)."""
    for spec in challenge_service.current_definition(challenge).stages:
        if spec.key == stage.key:
            return spec.title.get(language)
    return stage.key


def notify_assigned(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    counts: Mapping[int, int],
    link: str,
    now: datetime,
) -> None:
    """E-mail each evaluator once, in their language, how many proposals one action gave them.

    ``counts`` maps evaluator ids to their new proposals. The message names no company: the evaluator
    declares a conflict of interest before seeing any proposal's content.
    """
    ids = [user_id for user_id, count in counts.items() if count > 0]
    if not ids:
        return
    for user in session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)):
        queue_email(
            session,
            to=user.email,
            template="evaluation_assigned",
            language=user.language,
            context={
                "challenge_title": challenge.title(user.language),
                "stage_title": stage_title(challenge, stage, user.language),
                "count": counts[user.id],
                "link": link,
            },
            now=now,
            user_id=user.id,
        )


def unassign(session: Session, *, stage: ChallengeStage, assignment_id: int, actor: Actor, now: datetime) -> None:
    """Remove an assignment on which nothing was scored yet."""
    assignment = stage_assignment(session, stage=stage, assignment_id=assignment_id)
    require_open_evaluation(session, stage=stage)
    if assignment.evaluation is not None and assignment.evaluation.status != EvaluationStatus.DRAFT.value:
        raise InvalidTransition(N_("An assignment with a submitted evaluation cannot be removed."))
    record_event(
        session,
        actor=actor,
        action="assignment.remove",
        object_type="evaluation_assignment",
        object_id=assignment.id,
        at=now,
        data={"proposal_id": assignment.proposal_id, "evaluator_id": assignment.evaluator_id},
    )
    session.delete(assignment)
    session.flush()


def stage_assignment(session: Session, *, stage: ChallengeStage, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound()
    proposal = session.get(Proposal, assignment.proposal_id)
    if proposal is None or proposal.stage_id != stage.id:
        raise NotFound()
    return assignment


MSG_NOT_EVALUATOR = N_("Choose an evaluator from the list.")
MSG_INADMISSIBLE = N_("This proposal is not admissible and is not evaluated.")
MSG_ALREADY = N_("This evaluator is already assigned to this proposal.")
MSG_CONFLICT = N_("This evaluator has a known conflict of interest with this consortium.")
# The same refusals in a bulk import, naming the row's proposal and evaluator.
_BULK_MESSAGES = {
    MSG_NOT_EVALUATOR: N_("%(reference)s, %(email)s: this person is not an evaluator."),
    MSG_INADMISSIBLE: N_("%(reference)s, %(email)s: the proposal is not admissible."),
    MSG_ALREADY: N_("%(reference)s, %(email)s: already assigned."),
    MSG_CONFLICT: N_("%(reference)s, %(email)s: the evaluator has a known conflict of interest with this consortium."),
}


@dataclass
class AssignOutcome:
    created: int = 0
    errors: list[FieldError] = field(default_factory=list)


def assign_many(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    pairs: list[tuple[int, int]],
    actor: Actor,
    now: datetime,
    source: str,
    link: str | None = None,
) -> AssignOutcome:
    """Create the (proposal id, evaluator id) pairs; all or nothing: one refused pair refuses the whole set.

    With ``link`` (the evaluator's queue) each evaluator with new proposals gets one e-mail for the set.
    """
    require_open_evaluation(session, stage=stage)
    outcome = AssignOutcome()
    for proposal_id, evaluator_id in pairs:
        try:
            with session.begin_nested():
                assign(
                    session,
                    challenge=challenge,
                    stage=stage,
                    proposal_id=proposal_id,
                    evaluator_id=evaluator_id,
                    actor=actor,
                    now=now,
                )
            outcome.created += 1
        except ValidationFailed as failed:
            user = session.get(User, evaluator_id)
            params: dict[str, object] = {
                "reference": f"P-{proposal_id:06d}",
                "email": user.email if user else str(evaluator_id),
            }
            for error in failed.errors:
                outcome.errors.append(FieldError("file", _BULK_MESSAGES.get(error.message, MSG_CONFLICT), params))
    if outcome.errors:
        raise ValidationFailed(errors=outcome.errors)
    record_event(
        session,
        actor=actor,
        action="assignment.bulk",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"source": source, "created": outcome.created},
    )
    if link is not None:
        counts = Counter(evaluator_id for _, evaluator_id in pairs)
        notify_assigned(session, challenge=challenge, stage=stage, counts=counts, link=link, now=now)
    return outcome

"""One query per portfolio figure, each ``(session, filters) -> Figure``, and the registry that names them.

Every figure counts the challenges that ``challenge_scope`` selects (the NLD-gebied, the ODIN regional team,
the publication period, and for the public only those whose last deadline has passed). A challenge is in a
region when it carries that region tag (``challenge_region``); proposal-based figures count every proposal to
those challenges, whatever the region of the submitting organisation, so that every figure of one filter is
about the same challenges and its shares add up (an organisation's region follows its current province, which
the sealed proposal does not keep). Sealed until the deadline: what comes from a
proposal's content (SME flag, consortium, claimed TRL) is read only for stages whose deadline has passed;
before it, staff see counts only. A new figure is one more function here and one more entry in ``FIGURES``
(or in the registry of the page that shows it, for a figure from a higher layer); a new filter is one more
clause in ``SCOPE_CLAUSES``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import Session

from app.challenges.enums import CHALLENGE_MACHINE, ChallengeStatus, TaxonomyKind
from app.challenges.models import Challenge, ChallengeStage, ChallengeTag, TaxonomyTerm
from app.challenges.regions.models import ChallengeRegion
from app.evaluations.enums import DecisionStatus, EvaluationStatus
from app.evaluations.models import Assignment, Decision, Evaluation
from app.evaluations.portfolio.figures import Figure, Note, Series, Unit, median, share
from app.evaluations.portfolio.filters import Filters
from app.i18n import N_
from app.organisations.models import Organisation
from app.organisations.regions.models import Region
from app.proposals.enums import ProposalStatus
from app.proposals.models import Proposal, ProposalVersion

FigureQuery = Callable[[Session, Filters], Figure]
TRL_LEVELS = tuple(range(1, 10))


# --- which challenges ---------------------------------------------------------------------------------


def _nld(filters: Filters) -> ColumnElement[bool] | None:
    if filters.nld is None:
        return None
    tagged = (
        select(ChallengeTag.challenge_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == ChallengeTag.term_id)
        .where(TaxonomyTerm.kind == TaxonomyKind.NLD.value, TaxonomyTerm.key == filters.nld)
    )
    return Challenge.id.in_(tagged)


def _region(filters: Filters) -> ColumnElement[bool] | None:
    if filters.region is None:
        return None
    tagged = (
        select(ChallengeRegion.challenge_id)
        .join(Region, Region.id == ChallengeRegion.region_id)
        .where(Region.key == filters.region)
    )
    return Challenge.id.in_(tagged)


def _period(filters: Filters) -> ColumnElement[bool] | None:
    since, before = filters.published_since, filters.published_before
    if since is None and before is None:
        return None
    clauses: list[ColumnElement[bool]] = [Challenge.published_at.is_not(None)]
    if since is not None:
        clauses.append(Challenge.published_at >= since)
    if before is not None:
        clauses.append(Challenge.published_at < before)
    return and_(*clauses)


def _public(filters: Filters) -> ColumnElement[bool] | None:
    """Published once and every deadline passed."""
    if not filters.public:
        return None
    open_stage = exists().where(ChallengeStage.challenge_id == Challenge.id, ChallengeStage.deadline_at > filters.now)
    return (Challenge.status != ChallengeStatus.DRAFT.value) & Challenge.published_at.is_not(None) & ~open_stage


SCOPE_CLAUSES: tuple[Callable[[Filters], ColumnElement[bool] | None], ...] = (_nld, _region, _period, _public)


def challenge_scope(filters: Filters) -> Select[Any]:
    """The ids of the challenges the filters select."""
    query = select(Challenge.id)
    for clause in SCOPE_CLAUSES:
        condition = clause(filters)
        if condition is not None:
            query = query.where(condition)
    return query


# --- what the standing versions say ------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """A submitted proposal of a stage past its deadline, as its standing version says."""

    proposal_id: int
    organisation_id: int
    sme: bool | None
    new_to_defence: bool | None
    partners: int
    trl: int | None


def _standing(session: Session, filters: Filters) -> list[Submitted]:
    latest = (
        select(ProposalVersion.proposal_id, func.max(ProposalVersion.number).label("number"))
        .group_by(ProposalVersion.proposal_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Proposal.id,
            Proposal.organisation_id,
            Organisation.is_sme,
            Organisation.new_to_defence,
            ProposalVersion.content,
        )
        .join(ChallengeStage, ChallengeStage.id == Proposal.stage_id)
        .join(Organisation, Organisation.id == Proposal.organisation_id)
        .join(latest, latest.c.proposal_id == Proposal.id)
        .join(
            ProposalVersion,
            (ProposalVersion.proposal_id == Proposal.id) & (ProposalVersion.number == latest.c.number),
        )
        .where(
            Proposal.challenge_id.in_(challenge_scope(filters)),
            Proposal.status == ProposalStatus.SUBMITTED.value,
            ChallengeStage.deadline_at <= filters.now,
        )
        .order_by(Proposal.id)
    )
    return [_submitted(filters, *row) for row in rows]


def _submitted(
    filters: Filters, proposal_id: int, organisation_id: int, is_sme: bool, new: bool | None, content: Any
) -> Submitted:
    content = content or {}
    sme = content.get("sme")
    if sme is None and not filters.public:  # versions from before the flag was kept; the public reads none
        sme = is_sme
    new_to_defence = content.get("new_to_defence")
    if "new_to_defence" not in content and not filters.public:  # likewise
        new_to_defence = new
    trl = content.get("trl")
    return Submitted(
        proposal_id=proposal_id,
        organisation_id=organisation_id,
        sme=None if sme is None else bool(sme),
        new_to_defence=None if new_to_defence is None else bool(new_to_defence),
        partners=len(content.get("partners") or []),
        trl=int(trl) if isinstance(trl, int | str) and str(trl).isdigit() else None,
    )


# --- the figures ---------------------------------------------------------------------------------------


def challenges_by_status(session: Session, filters: Filters) -> Figure:
    counts = dict(
        session.execute(
            select(Challenge.status, func.count())
            .where(Challenge.id.in_(challenge_scope(filters)))
            .group_by(Challenge.status)
        ).all()
    )
    statuses = [s for s in ChallengeStatus if not (filters.public and s is ChallengeStatus.DRAFT)]
    return Figure(
        key="challenges-by-status",
        title=N_("Challenges per status"),
        description=N_("The number of challenges in each status."),
        category_header=N_("Status"),
        categories=tuple(CHALLENGE_MACHINE.label(s) for s in statuses),
        translate_categories=True,
        series=(Series(N_("Challenges"), tuple(float(counts.get(s.value, 0)) for s in statuses)),),
    )


def proposals_started_and_submitted(session: Session, filters: Filters) -> Figure:
    rows = session.execute(
        select(Proposal.status, Proposal.organisation_id).where(Proposal.challenge_id.in_(challenge_scope(filters)))
    ).all()
    submitted = sum(1 for status, _ in rows if status == ProposalStatus.SUBMITTED.value)
    return Figure(
        key="proposals",
        title=N_("Proposals started and submitted"),
        description=N_(
            "Proposals started (every proposal, also those never submitted or withdrawn) and proposals submitted "
            "(a submitted version stands)."
        ),
        category_header=N_("Proposals"),
        categories=(N_("Started"), N_("Submitted")),
        translate_categories=True,
        series=(Series(N_("Number of proposals"), (float(len(rows)), float(submitted))),),
        organisations=len({organisation for _, organisation in rows}),
    )


def _two_way(submitted: list[Submitted], yes: int, no: int, **texts: Any) -> Figure:
    total = yes + no
    return Figure(
        series=(
            Series(N_("Proposals"), (float(yes), float(no))),
            Series(N_("Share"), (share(yes, total), share(no, total)), unit=Unit.PERCENT, charted=False),
        ),
        translate_categories=True,
        organisations=len({s.organisation_id for s in submitted}),
        **texts,
    )


def sme_share(session: Session, filters: Filters) -> Figure:
    submitted = [s for s in _standing(session, filters) if s.sme is not None]
    smes = sum(1 for s in submitted if s.sme)
    return _two_way(
        submitted,
        smes,
        len(submitted) - smes,
        key="sme-share",
        title=N_("Share of SMEs"),
        description=N_(
            "Submitted proposals by whether the submitting organisation is an SME, as it declared when submitting "
            "(stages past their deadline only)."
        ),
        category_header=N_("Submitting organisation"),
        categories=(N_("SME"), N_("Not an SME")),
    )


def new_to_defence_share(session: Session, filters: Filters) -> Figure:
    """Organisations that submitted, by whether they had worked for Defence before, as the standing version of
    their latest proposal says; an organisation that did not say is counted as unknown."""
    said: dict[int, bool | None] = {s.organisation_id: s.new_to_defence for s in _standing(session, filters)}
    counts = Counter(said.values())
    total = len(said)
    values = (counts.get(True, 0), counts.get(False, 0), counts.get(None, 0))
    return Figure(
        key="new-to-defence",
        title=N_("Share of organisations new to Defence"),
        description=N_(
            "Organisations that submitted a proposal, by whether they had worked for Defence before, as they said "
            "when submitting (stages past their deadline only)."
        ),
        category_header=N_("Organisation"),
        categories=(N_("New to Defence"), N_("Worked for Defence before"), N_("Unknown")),
        translate_categories=True,
        series=(
            Series(N_("Organisations"), tuple(float(v) for v in values)),
            Series(N_("Share"), tuple(share(v, total) for v in values), unit=Unit.PERCENT, charted=False),
        ),
        organisations=total,
    )


def consortium_share(session: Session, filters: Filters) -> Figure:
    submitted = _standing(session, filters)
    consortia = sum(1 for s in submitted if s.partners)
    return _two_way(
        submitted,
        consortia,
        len(submitted) - consortia,
        key="consortium-share",
        title=N_("Share of consortia"),
        description=N_(
            "Submitted proposals from a consortium (one or more partners) and from a single organisation "
            "(stages past their deadline only)."
        ),
        category_header=N_("Proposal from"),
        categories=(N_("A consortium"), N_("A single organisation")),
    )


def consortium_sizes(session: Session, filters: Filters) -> Figure:
    submitted = _standing(session, filters)
    sizes = Counter(1 + s.partners for s in submitted)
    largest = max(sizes, default=1)
    return Figure(
        key="consortium-sizes",
        title=N_("Consortium sizes"),
        description=N_(
            "Submitted proposals by the number of organisations in them, the lead included "
            "(stages past their deadline only)."
        ),
        category_header=N_("Organisations in the proposal"),
        categories=tuple(str(size) for size in range(1, largest + 1)),
        series=(Series(N_("Proposals"), tuple(float(sizes.get(size, 0)) for size in range(1, largest + 1))),),
        organisations=len({s.organisation_id for s in submitted}),
    )


def _assessed(session: Session, filters: Filters, proposal_ids: list[int]) -> dict[int, int]:
    """Per proposal the median of its submitted evaluations' assessed TRL (the lower one of an even count);
    for the public only of proposals whose decision was released."""
    query = (
        select(Assignment.proposal_id, Evaluation.assessed_trl)
        .join(Evaluation, Evaluation.assignment_id == Assignment.id)
        .where(
            Assignment.proposal_id.in_(proposal_ids),
            Evaluation.status == EvaluationStatus.SUBMITTED.value,
            Evaluation.assessed_trl.is_not(None),
        )
    )
    if filters.public:
        released = select(Decision.proposal_id).where(Decision.status == DecisionStatus.RELEASED.value)
        query = query.where(Assignment.proposal_id.in_(released))
    levels: dict[int, list[int]] = {}
    for proposal_id, level in session.execute(query):
        if level is not None:
            levels.setdefault(proposal_id, []).append(int(level))
    return {pid: sorted(values)[(len(values) - 1) // 2] for pid, values in levels.items()}


def trl_claimed_and_assessed(session: Session, filters: Filters) -> Figure:
    submitted = _standing(session, filters)
    claimed = Counter(s.trl for s in submitted if s.trl is not None)
    assessed = Counter(_assessed(session, filters, [s.proposal_id for s in submitted]).values())
    return Figure(
        key="trl",
        title=N_("Claimed and assessed TRL"),
        description=N_(
            "Submitted proposals per technology readiness level: as the company claimed it, and as the evaluators "
            "assessed it (the median of their assessments)."
        ),
        category_header=N_("TRL"),
        categories=tuple(str(level) for level in TRL_LEVELS),
        series=(
            Series(N_("Claimed"), tuple(float(claimed.get(level, 0)) for level in TRL_LEVELS)),
            Series(N_("Assessed"), tuple(float(assessed.get(level, 0)) for level in TRL_LEVELS)),
        ),
        organisations=len({s.organisation_id for s in submitted}),
    )


def time_to_decision(session: Session, filters: Filters) -> Figure:
    """Days from publication to the first release of decisions on the challenge's last stage."""
    last = (
        select(ChallengeStage.challenge_id, func.max(ChallengeStage.position).label("position"))
        .group_by(ChallengeStage.challenge_id)
        .subquery()
    )
    rows = session.execute(
        select(Challenge.id, Challenge.published_at, func.min(Decision.released_at))
        .join(Proposal, Proposal.challenge_id == Challenge.id)
        .join(ChallengeStage, ChallengeStage.id == Proposal.stage_id)
        .join(last, (last.c.challenge_id == Challenge.id) & (last.c.position == ChallengeStage.position))
        .join(Decision, Decision.proposal_id == Proposal.id)
        .where(
            Challenge.id.in_(challenge_scope(filters)),
            Challenge.published_at.is_not(None),
            Decision.status == DecisionStatus.RELEASED.value,
            Decision.released_at.is_not(None),
        )
        .group_by(Challenge.id, Challenge.published_at)
    ).all()
    days = [float((released - published).days) for _, published, released in rows if published and released]
    return Figure(
        key="time-to-decision",
        title=N_("Time from publication to decision"),
        description=N_("Whole days from a challenge's publication to the release of the decisions on its last stage."),
        category_header=N_("Measure"),
        categories=(N_("Median"), N_("Shortest"), N_("Longest")),
        translate_categories=True,
        series=(Series(N_("Days"), (median(days), min(days, default=None), max(days, default=None)), Unit.DAYS),),
        notes=(Note(N_("Challenges with released decisions: %(num)s"), len(days)),),
    )


FIGURES: dict[str, FigureQuery] = {
    "challenges-by-status": challenges_by_status,
    "proposals": proposals_started_and_submitted,
    "sme-share": sme_share,
    "new-to-defence": new_to_defence_share,
    "consortium-share": consortium_share,
    "consortium-sizes": consortium_sizes,
    "trl": trl_claimed_and_assessed,
    "time-to-decision": time_to_decision,
}

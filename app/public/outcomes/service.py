"""The outcome of a challenge as the public may see it, read from what was stored when it happened.

A stage's outcome exists once its decisions were released (the ``decision.release`` audit event gives the date
and the procurement route as released); the counts come from the proposals submitted for the stage and their
standing versions (the SME flag and the company's agreement to be named are kept frozen in each version). Names
of winners are shown only where the company agreed and the coordinator's publication choice in force allows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.challenges import service as challenge_service
from app.challenges.enums import Phase
from app.challenges.models import Challenge, ChallengeStage
from app.evaluations.enums import DecisionOutcome, DecisionStatus
from app.evaluations.models import Decision
from app.evaluations.publication import service as publication_service
from app.evaluations.publication.service import PublicationChoice
from app.evaluations.route import service as route_service
from app.organisations.models import Organisation
from app.proposals.enums import ProposalStatus
from app.proposals.models import Proposal


@dataclass(frozen=True)
class Winner:
    """An awarded proposal's company as its standing version holds it."""

    proposal_id: int
    name: str
    kvk_number: str | None
    country: str | None
    registry_id: str | None
    agreed: bool  # the company agreed at submission that its name may be published


@dataclass(frozen=True)
class StageOutcome:
    stage: ChallengeStage
    released_at: datetime
    event_id: int
    final: bool  # the challenge's last stage: its awards are the challenge's
    proposals: int
    sme: int
    consortia: int
    invited: int
    winners: list[Winner]
    route: str | None


@dataclass(frozen=True)
class Outcome:
    stages: list[StageOutcome]
    history: list[PublicationChoice] = field(default_factory=list)

    @property
    def final(self) -> StageOutcome | None:
        return next((s for s in self.stages if s.final), None)

    def named(self, stage: StageOutcome, at: datetime | None = None) -> list[Winner]:
        """The winners that may be named at ``at`` (now when None): agreed, and names published then."""
        if not publication_service.choice_at(self.history, at).publish_names:
            return []
        return [w for w in stage.winners if w.agreed]


def _release_events(session: Session, stages: list[ChallengeStage]) -> dict[int, AuditEvent]:
    events = audit_service.events_about(
        session, action="decision.release", object_type="challenge_stage", object_ids=[stage.id for stage in stages]
    )
    first: dict[int, AuditEvent] = {}
    for event in events:
        first.setdefault(int(event.object_id), event)
    return first


def _winner(proposal: Proposal, organisation: Organisation | None) -> Winner:
    content = proposal.versions[-1].content if proposal.versions else {}
    frozen = content.get("organisation") or {}
    name = frozen.get("legal_name") or (organisation.legal_name if organisation else "")
    return Winner(
        proposal_id=proposal.id,
        name=str(name),
        kvk_number=frozen.get("kvk_number"),
        country=frozen.get("country"),
        registry_id=frozen.get("registry_id"),
        agreed=bool((content.get("publication") or {}).get("name")),
    )


def _is_sme(proposal: Proposal, organisations: dict[int, Organisation]) -> bool:
    content = proposal.versions[-1].content if proposal.versions else {}
    if "sme" in content:
        return bool(content["sme"])
    organisation = organisations.get(proposal.organisation_id)  # versions from before the flag was kept
    return bool(organisation and organisation.is_sme)


def _stage_outcome(
    session: Session, stage: ChallengeStage, event: AuditEvent, *, final: bool, fallback_route: str | None
) -> StageOutcome:
    proposals = list(
        session.scalars(
            select(Proposal)
            .where(Proposal.stage_id == stage.id, Proposal.status == ProposalStatus.SUBMITTED.value)
            .options(selectinload(Proposal.versions))
            .order_by(Proposal.id)
        )
    )
    ids = [p.id for p in proposals]
    organisations = {
        o.id: o
        for o in session.scalars(
            select(Organisation).where(Organisation.id.in_({p.organisation_id for p in proposals}))
        )
    }
    decisions = {
        d.proposal_id: d
        for d in session.scalars(
            select(Decision).where(Decision.proposal_id.in_(ids), Decision.status == DecisionStatus.RELEASED.value)
        )
    }
    awarded = [p for p in proposals if p.id in decisions and decisions[p.id].outcome == DecisionOutcome.AWARD.value]
    return StageOutcome(
        stage=stage,
        released_at=event.occurred_at,
        event_id=event.id,
        final=final,
        proposals=len(proposals),
        sme=sum(1 for p in proposals if _is_sme(p, organisations)),
        consortia=sum(1 for p in proposals if p.versions and p.versions[-1].content.get("partners")),
        invited=sum(1 for d in decisions.values() if d.outcome == DecisionOutcome.INVITE.value),
        winners=[_winner(p, organisations.get(p.organisation_id)) for p in awarded],
        route=str(event.data["route"]) if event.data.get("route") else fallback_route,
    )


def challenge_outcome(session: Session, *, challenge: Challenge) -> Outcome:
    """The released stages of the challenge (none before any release), with the publication choices made."""
    stages = sorted(challenge.stages, key=lambda s: s.position)
    events = _release_events(session, stages)
    if not events:
        return Outcome(stages=[])
    route = route_service.get_route_decision(session, challenge_id=challenge.id)
    last = stages[-1].id
    released = [
        _stage_outcome(
            session, stage, events[stage.id], final=stage.id == last, fallback_route=route.chosen if route else None
        )
        for stage in stages
        if stage.id in events
    ]
    return Outcome(stages=released, history=publication_service.choice_history(session, challenge_id=challenge.id))


@dataclass(frozen=True)
class Cancellation:
    at: datetime
    reason: str


def cancellation(session: Session, *, challenge: Challenge) -> Cancellation | None:
    """When and why the challenge was cancelled, as the audit trail recorded it (kept when it is archived later)."""
    event = audit_service.latest_event(
        session, action="challenge.cancelled", object_type="challenge", object_id=challenge.id
    )
    if event is None:
        if challenge.cancelled_at is None:
            return None
        return Cancellation(challenge.cancelled_at, challenge.status_reason or "")
    return Cancellation(event.occurred_at, str(event.data.get("reason") or ""))


@dataclass(frozen=True)
class ArchiveEntry:
    challenge: Challenge
    closed_at: datetime | None
    cancellation: Cancellation | None
    outcome: Outcome


def archive(session: Session, *, now: datetime) -> list[ArchiveEntry]:
    """Public challenges that no longer take proposals (closed, decided, archived, cancelled), newest first, each
    with its outcome or the reason it was cancelled."""
    items = challenge_service.list_public_challenges(session, now=now, phase=Phase.CLOSED)
    entries = []
    for item in items:
        challenge = item.challenge
        stop = cancellation(session, challenge=challenge)
        outcome = challenge_outcome(session, challenge=challenge)
        released = outcome.stages[-1].released_at if outcome.stages else None
        deadline = max((s.deadline_at for s in challenge.stages), default=None)
        entries.append(ArchiveEntry(challenge, stop.at if stop else released or deadline, stop, outcome))
    far = datetime.min.replace(tzinfo=now.tzinfo)
    return sorted(entries, key=lambda e: (e.closed_at or far, e.challenge.id), reverse=True)

"""A challenge taken through everything the open data tells: publication, an extension (a new definition version
and a Nota version), submissions that agree or not to be named, a release of decisions and a later publication
choice; and a second challenge that is cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge
from app.clock import FrozenClock
from app.evaluations.approvals import service as approval_service
from app.evaluations.decisions import service as decision_service
from app.evaluations.enums import DecisionOutcome
from app.evaluations.models import RouteDecision
from app.evaluations.publication import service as publication_service
from app.evaluations.results import service as results_service
from app.evaluations.results.rules import EvaluationPolicy
from app.evaluations.schemas import DecisionForm
from app.proposals.models import Proposal, ProposalVersion
from app.workspace.corrections import service as corrections
from app.workspace.lifecycle import service as lifecycle
from tests.evaluations.helpers import (
    AFTER_DEADLINE,
    RECEIVED,
    Scenario,
    actor,
    build_scenario,
    content_for,
    make_organisation,
    second_coordinator,
)
from tests.factories import CLI_ACTOR, LINKS, create_challenge


@dataclass(frozen=True)
class Company:
    name: str
    kvk: str
    agreed: bool  # agrees at submission that its name may be published
    sme: bool
    consortium: bool
    outcome: DecisionOutcome


# Alpha wins and agreed; Bravo wins and did not agree; Charlie agreed but is rejected.
COMPANIES = (
    Company("Alpha Sensoren B.V.", "31000001", agreed=True, sme=True, consortium=False, outcome=DecisionOutcome.AWARD),
    Company("Bravo Radar B.V.", "31000002", agreed=False, sme=False, consortium=True, outcome=DecisionOutcome.AWARD),
    Company("Charlie Optics B.V.", "31000003", agreed=True, sme=True, consortium=False, outcome=DecisionOutcome.REJECT),
)
PARTNER = {"legal_name": "Delta Partner B.V.", "kvk_number": "31000009", "country": "NL", "share": 30, "role": "x"}
CANCEL_REASON = "De behoefte is vervallen door een herziening van de planning."


def submit(session: Session, s: Scenario, company: Company, *, kvk_offset: int = 0) -> Proposal:
    """A submitted proposal whose standing version holds the SME flag and the company's answer on naming."""
    organisation = make_organisation(session, name=company.name, kvk=str(int(company.kvk) + kvk_offset))
    organisation.is_sme = company.sme
    stage = s.challenge.stages[0]
    proposal = Proposal(
        challenge_id=s.challenge.id,
        stage_id=stage.id,
        organisation_id=organisation.id,
        status="submitted",
        draft={},
        challenge_version=s.challenge.current_version,
        version_count=1,
        created_at=RECEIVED,
        updated_at=RECEIVED,
        submitted_at=RECEIVED,
    )
    session.add(proposal)
    session.flush()
    partners = [PARTNER] if company.consortium else []
    content = {
        **content_for(proposal, organisation, s.challenge, stage, partners=partners),
        "sme": company.sme,
        "publication": {"name": company.agreed},
    }
    session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            number=1,
            kind="submit",
            challenge_version=s.challenge.current_version,
            content=content,
            receipt_hash="c" * 64,
            received_at=RECEIVED,
            idempotency_key=f"ocds-{proposal.id}",
        )
    )
    session.commit()
    s.proposals.append(proposal)
    return proposal


def extend(session: Session, s: Scenario, now: datetime) -> None:
    """An extension of the deadline before it: a new definition version and a Nota version."""
    corrections.extend_deadline(
        session,
        challenge=s.challenge,
        stage_key=s.challenge.stages[0].key,
        deadline_local=datetime(2027, 2, 27, 17, 0),
        reason="Meer tijd voor de schets.",
        actor=actor(s.coordinator),
        now=now,
        links=LINKS,
    )
    session.commit()


def release(
    session: Session,
    s: Scenario,
    now: datetime,
    *,
    route: str | None = "adv",
    outcomes: tuple[DecisionOutcome, ...] = tuple(c.outcome for c in COMPANIES),
) -> None:
    """Consensus and a decision per proposal as COMPANIES says, approved by a second coordinator, released."""
    if route:
        session.add(
            RouteDecision(
                challenge_id=s.challenge.id,
                recommended=route,
                reasons=[],
                chosen=route,
                reason="Militair materieel boven de drempel.",
                decided_at=now,
                status="approved",
            )
        )
        session.flush()
    for proposal, outcome in zip(s.proposals, outcomes, strict=True):
        results_service.record_consensus(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            entries={"effect": ("2", "Samen besproken."), "safety": ("1", "Samen besproken.")},
            actor=actor(s.coordinator),
            now=now,
        )
        decision_service.prepare_decision(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            form=DecisionForm(outcome=outcome, feedback="Terugkoppeling."),
            actor=actor(s.coordinator),
            now=now,
        )
    approval_service.approve_decisions(
        session,
        challenge=s.challenge,
        stage=s.stage,
        actor=actor(second_coordinator(session, s)),
        now=now,
        policy=EvaluationPolicy(),
    )
    decision_service.release_decisions(
        session,
        challenge=s.challenge,
        stage=s.stage,
        actor=actor(s.coordinator),
        now=now,
        links=LINKS,
        policy=EvaluationPolicy(),
    )
    session.commit()


def choose(session: Session, s: Scenario, now: datetime, *, names: bool) -> None:
    publication_service.set_choice(
        session, challenge=s.challenge, publish_names=names, actor=actor(s.coordinator), now=now
    )
    session.commit()


def decided(
    session: Session, clock: FrozenClock, *, names_after: bool = True, prefix: str = "ocds", kvk_offset: int = 0
) -> Scenario:
    """The whole story of one challenge, ending (``names_after``) with names published a day after the release.
    Leaves the clock a day or so after the deadline. ``prefix`` and ``kvk_offset`` keep several apart."""
    s = build_scenario(session, proposals=0, evaluators=0, prefix=prefix)
    for company in COMPANIES:
        submit(session, s, company, kvk_offset=kvk_offset)
    extend(session, s, clock.now())
    clock.set(AFTER_DEADLINE)
    release(session, s, clock.now())
    if names_after:
        clock.advance(timedelta(days=1))
        choose(session, s, clock.now(), names=True)
    return s


def cancelled(session: Session, clock: FrozenClock, *, slug: str = "ocds-cancelled") -> Challenge:
    challenge = create_challenge(
        session, slug=slug, title={"nl": "Geannuleerde challenge", "en": "Cancelled challenge"}
    )
    lifecycle.change_status(
        session,
        challenge=challenge,
        to=ChallengeStatus.CANCELLED,
        reason=CANCEL_REASON,
        actor=CLI_ACTOR,
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    return challenge

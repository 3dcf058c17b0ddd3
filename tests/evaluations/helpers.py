"""Factories for the evaluation tests: submitted proposals stored directly, evaluators, coordinators, the
clock moved past the deadline, and whole evaluations made through the service."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.challenges.models import Challenge, ChallengeCoordinator, ChallengeStage
from app.organisations.models import Membership, Organisation
from app.proposals.models import Proposal, ProposalVersion
from tests.factories import create_challenge, create_user, csrf

# The test challenge's brief stage closes on 26 February 2027, 17:00 CET.
AFTER_DEADLINE = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
RECEIVED = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)


def post(client: Any, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)}, **kwargs)


def make_organisation(
    session: Session, *, name: str, kvk: str, member: Any | None = None, at: datetime = RECEIVED
) -> Organisation:
    organisation = Organisation(legal_name=name, kvk_number=kvk, country="NL", city="Den Haag", created_at=at)
    session.add(organisation)
    session.flush()
    if member is not None:
        session.add(Membership(organisation_id=organisation.id, user_id=member.id, role="admin", joined_at=at))
    session.commit()
    return organisation


def content_for(
    proposal: Proposal,
    organisation: Organisation,
    challenge: Challenge,
    stage: ChallengeStage,
    *,
    partners: list[dict[str, Any]] | None = None,
    summary: str | None = None,
    trl: int = 5,
    documents: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A realistic standing-version content dict (the shape the proposals service writes)."""
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
        "lead": {"role": "lead", "share": 100 - sum(p.get("share", 0) for p in partners or [])},
        "partners": partners or [],
        "trl": trl,
        "answers": {
            "summary": summary
            or f"{organisation.legal_name} detecteert drones met passieve radar tot 5 km. Ons team heeft tien jaar ervaring."
        },
        "documents": documents
        if documents is not None
        else {"brief": {"sha256": "a" * 64, "name": "schets.pdf", "size": 1234, "kind": "pdf", "pages": 3}},
        "declarations": ["unclassified", "truthful", "consent"],
    }


def submit_proposal(
    session: Session,
    *,
    challenge: Challenge,
    organisation: Organisation,
    stage: ChallengeStage | None = None,
    partners: list[dict[str, Any]] | None = None,
    summary: str | None = None,
    received_at: datetime = RECEIVED,
    trl: int = 5,
    documents: dict[str, Any] | None = None,
) -> Proposal:
    """A submitted proposal with one standing version, stored directly."""
    stage = stage or challenge.stages[0]
    proposal = Proposal(
        challenge_id=challenge.id,
        stage_id=stage.id,
        organisation_id=organisation.id,
        status="submitted",
        draft={},
        challenge_version=challenge.current_version,
        version_count=1,
        created_at=received_at,
        updated_at=received_at,
        submitted_at=received_at,
    )
    session.add(proposal)
    session.flush()
    content = content_for(
        proposal, organisation, challenge, stage, partners=partners, summary=summary, trl=trl, documents=documents
    )
    session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            number=1,
            kind="submit",
            challenge_version=challenge.current_version,
            content=content,
            receipt_hash="b" * 64,
            received_at=received_at,
            idempotency_key=f"key-{proposal.id}",
        )
    )
    session.commit()
    return proposal


@dataclass
class Scenario:
    challenge: Challenge
    stage: ChallengeStage
    coordinator: Any
    evaluators: list[Any]
    companies: list[Any]
    organisations: list[Organisation]
    proposals: list[Proposal]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/manage/challenges/{self.challenge.slug}/evaluation/{self.stage.key}"


def _free_kvk_block(session: Session, prefix: str, size: int) -> int:
    """An offset whose KvK numbers no organisation has yet: scenarios of one test run share a live database,
    and two prefixes may hash to the same block."""
    if not prefix:
        return 0
    block = zlib.crc32(prefix.encode()) % 8999 + 1
    while True:
        first, last = str(10_000_000 + block * 1000), str(10_000_000 + block * 1000 + size - 1)
        taken = session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.kvk_number.between(first, last))
        )
        if not taken:
            return block * 1000
        block = block % 8999 + 1


def build_scenario(
    session: Session,
    *,
    proposals: int = 2,
    evaluators: int = 3,
    blind: bool = False,
    two_stages: bool = False,
    at: datetime = RECEIVED,
    prefix: str = "",
    definition: dict[str, Any] | None = None,
) -> Scenario:
    """A published challenge with submitted proposals, its coordinator, evaluators (not yet in the pool).

    ``prefix`` makes every slug, e-mail address and KvK number distinct, so that two scenarios can share a test.
    """
    overrides: dict[str, Any] = {"blind_scoring": blind, **(definition or {})}
    if prefix:
        overrides["slug"] = f"{prefix}-challenge"
    if two_stages:
        from tests.factories import BASE_DEFINITION

        first = dict(BASE_DEFINITION["stages"][0])
        second = {
            **first,
            "key": "full",
            "title": {"nl": "Volledig voorstel", "en": "Full proposal"},
            "opens_at": "2027-04-01T09:00:00",
            "deadline": "2027-06-01T17:00:00",
            "invitation_only": True,
        }
        overrides["stages"] = [first, second]
    challenge = create_challenge(session, **overrides)
    coordinator = create_user(
        session, email=f"{prefix}coco@mindef.example", name="Coco Coördinator", roles=("coordinator",)
    )
    session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=coordinator.id, assigned_at=at))
    session.commit()
    people = [
        create_user(
            session,
            email=f"{prefix}eval{i}@mindef.example",
            name=f"Evaluator {chr(65 + i)}nonymous",
            roles=("evaluator",),
        )
        for i in range(evaluators)
    ]
    offset = _free_kvk_block(session, prefix, proposals)
    companies, organisations, made = [], [], []
    for i in range(proposals):
        company = create_user(
            session,
            email=f"{prefix}company{i}@firm{i}.example",
            name=f"Company user {i}",
            language="en" if i % 2 else "nl",
        )
        organisation = make_organisation(
            session, name=f"Firma{i} Drone Systems B.V.", kvk=f"{10_000_000 + offset + i}", member=company
        )
        companies.append(company)
        organisations.append(organisation)
        made.append(submit_proposal(session, challenge=challenge, organisation=organisation))
    return Scenario(challenge, challenge.stages[0], coordinator, people, companies, organisations, made)


def actor(user: Any) -> Actor:
    return Actor(user.id, label=user.email)


def after_deadline(clock: Any) -> None:
    clock.set(AFTER_DEADLINE)


def later(clock: Any, minutes: int = 1) -> None:
    clock.advance(timedelta(minutes=minutes))


def second_coordinator(session: Session, s: Scenario) -> Any:
    """A second coordinator of the scenario's challenge (four eyes: the one who approves); made once."""
    if "approver" not in s.extra:
        user = create_user(
            session,
            email=f"tweede-{s.challenge.slug}@mindef.example",
            name="Cato Tweede Coördinator",
            roles=("coordinator",),
        )
        session.add(ChallengeCoordinator(challenge_id=s.challenge.id, user_id=user.id, assigned_at=RECEIVED))
        session.commit()
        s.extra["approver"] = user
    return s.extra["approver"]


def approve(session: Session, s: Scenario, now: datetime, *, stage: ChallengeStage | None = None) -> int:
    """The second coordinator approves the stage's decisions (through the service)."""
    from app.evaluations.approvals import service as approval_service
    from app.evaluations.results.rules import EvaluationPolicy

    return approval_service.approve_decisions(
        session,
        challenge=s.challenge,
        stage=stage or s.stage,
        actor=actor(second_coordinator(session, s)),
        now=now,
        policy=EvaluationPolicy(),
    )


def approve_through_the_web(client: Any, session: Session, s: Scenario, now: datetime, *, then: Any = None) -> Any:
    """The second coordinator logs in and approves the stage's decisions; then ``then`` (the first coordinator
    by default) is logged in again. Returns the approval's response."""
    from tests.factories import log_in

    log_in(client, session, second_coordinator(session, s), now=now)
    response = post(client, f"{s.base}/decisions/approve")
    log_in(client, session, then or s.coordinator, now=now)
    return response

"""The world the authorization matrix runs in: two organisations with a member each, staff, a challenge.

Each object carries a distinctive text, so a row can check that it does not leak into a response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.authz.world_propositions import proposition_of_a
from tests.factories import LINKS, create_challenge, create_user

ACTORS = ("anonymous", "member_a", "member_b", "evaluator", "coordinator", "administrator")


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, Any] = field(default_factory=dict)
    # Texts that belong to organisation A (or its members) and must never reach anyone else.
    secrets_a: tuple[str, ...] = ()
    # A moment after the world challenge's first deadline, for rows that check what unseals.
    after_deadline: datetime | None = None


SECRET_ANSWER = "Alpha geheime oplossing met lasers"


def build_world(session: Session, now: datetime, blobs: Any = None) -> World:
    from app.organisations.models import Membership, Organisation

    users = {
        "member_a": create_user(session, email="alice@org-a.example", name="Alice Alpha"),
        "member_b": create_user(session, email="bob@org-b.example", name="Bob Bravo"),
        "evaluator": create_user(session, email="eva@mindef.example", name="Eva Evaluator", roles=("evaluator",)),
        "coordinator": create_user(
            session, email="coco@mindef.example", name="Coco Coordinator", roles=("coordinator",)
        ),
        "administrator": create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",)),
    }
    org_a = Organisation(
        legal_name="Alpha Geheim Defence B.V.",
        kvk_number="11111111",
        country="NL",
        city="Alphen",
        created_at=now,
        created_by_id=users["member_a"].id,
    )
    org_b = Organisation(
        legal_name="Bravo Systems B.V.",
        kvk_number="22222222",
        country="NL",
        city="Breda",
        created_at=now,
        created_by_id=users["member_b"].id,
    )
    session.add_all([org_a, org_b])
    session.flush()
    session.add_all(
        [
            Membership(organisation_id=org_a.id, user_id=users["member_a"].id, role="admin", joined_at=now),
            Membership(organisation_id=org_b.id, user_id=users["member_b"].id, role="admin", joined_at=now),
        ]
    )
    session.commit()
    challenge = create_challenge(session)
    world = World(users=users, secrets_a=("Alpha Geheim Defence", "11111111", "alice@org-a.example", SECRET_ANSWER))
    world.ids.update(
        org_a=org_a.id,
        org_b=org_b.id,
        challenge_slug=challenge.slug,
        challenge_id=challenge.id,
        **{f"user_{name}": user.id for name, user in users.items()},
    )
    if blobs is not None:
        org_c = _partner_of_a(session, users["member_b"], now)
        proposal = _submitted_proposal(session, challenge, org_a, users["member_a"], blobs, now)
        world.ids.update(proposal_a=proposal.id, partnership_c=_partnership(session, proposal.id, org_c.id))
        world.ids.update(receipt_a=_receipt(session, proposal.id))
        world.ids.update(proposition_a=proposition_of_a(session, org_a, users["member_a"], blobs, now, SECRET_ANSWER))
    world.ids.update(question_a=_question(session, challenge, org_a, users["member_a"], now))
    world.ids.update(dispute_a=_dispute(session, org_a, users["member_b"], now))
    world.after_deadline = challenge.stages[0].deadline_at + timedelta(hours=1)
    return world


def _receipt(session: Session, proposal_id: int) -> str:
    """Organisation A's receipt code: anyone may check it, and learns nothing of A from it."""
    from sqlalchemy import select

    from app.proposals.models import ProposalVersion

    return str(session.scalar(select(ProposalVersion.receipt_hash).where(ProposalVersion.proposal_id == proposal_id)))


def _dispute(session: Session, organisation: Any, claimant: Any, now: datetime) -> int:
    """Someone else says organisation A's registration is theirs: only administrators see and settle it."""
    from app.organisations.models import OrganisationDispute

    dispute = OrganisationDispute(
        organisation_id=organisation.id,
        claimant_id=claimant.id,
        claimed_name="Claimed Name B.V.",
        explanation="We hold this KvK number.",
        status="open",
        created_at=now,
    )
    session.add(dispute)
    session.commit()
    return dispute.id


def _partner_of_a(session: Session, member: Any, now: datetime) -> Any:
    """Charlie Partner B.V., registered, which organisation A names as a partner; Bob of B is also its member,
    so ``member_b`` is the partner's member on the partner pages and a competitor everywhere else."""
    from app.organisations.models import Membership, Organisation

    org_c = Organisation(legal_name="Charlie Partner B.V.", kvk_number="44444444", country="NL", created_at=now)
    session.add(org_c)
    session.flush()
    session.add(Membership(organisation_id=org_c.id, user_id=member.id, role="admin", joined_at=now))
    session.commit()
    return org_c


def _partnership(session: Session, proposal_id: int, organisation_id: int) -> int:
    from sqlalchemy import select

    from app.proposals.models import ProposalPartner

    return int(
        session.scalar(
            select(ProposalPartner.id).where(
                ProposalPartner.proposal_id == proposal_id, ProposalPartner.organisation_id == organisation_id
            )
        )
    )


def _question(session: Session, challenge: Any, organisation: Any, user: Any, now: datetime) -> int:
    """A question organisation A asked: only coordinators of the challenge may see who asked it."""
    from app.questions.models import NotaEntry

    entry = NotaEntry(
        challenge_id=challenge.id,
        kind="question",
        status="received",
        asker_id=user.id,
        organisation_id=organisation.id,
        language="nl",
        original_text="Vraag van Alpha Geheim Defence",
        question_nl="Vraag van Alpha Geheim Defence",
        asked_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.commit()
    return entry.id


def _submitted_proposal(
    session: Session, challenge: Any, organisation: Any, user: Any, blobs: Any, now: datetime
) -> Any:
    """Organisation A's proposal: submitted (version 1) with a partner and a document, re-confirmation due."""
    from app.audit.service import Actor
    from app.proposals.documents import service as document_service
    from app.proposals.drafts import service as draft_service
    from app.proposals.submissions import service as submission_service
    from tests.pdfs import pdf_bytes

    actor = Actor(user.id, label=user.email)
    stage = challenge.stages[0]
    proposal = draft_service.start_proposal(
        session, challenge=challenge, stage=stage, organisation=organisation, user=user, actor=actor, now=now
    )
    draft_service.save_answers(
        session, proposal=proposal, values={"q_summary": SECRET_ANSWER, "trl": "5"}, actor=actor, now=now
    )
    draft_service.add_partner(
        session,
        proposal=proposal,
        values={"partner_kvk_number": "44444444", "partner_legal_name": "Charlie Partner B.V.", "partner_role": "Test"},
        actor=actor,
        now=now,
        links=LINKS,
    )
    draft_service.save_shares(
        session,
        proposal=proposal,
        values={"lead_share": "80", "partner_0_share": "20", "partner_0_role": "Test"},
        actor=actor,
        now=now,
    )
    data = pdf_bytes(pages=1, text=SECRET_ANSWER)
    sha = blobs.put_bytes(data)
    document = document_service.StoredDocument(
        sha256=sha,
        size_bytes=len(data),
        original_name="alpha-brief.pdf",
        kind="pdf",
        media_type="application/pdf",
        pages=1,
    )
    document_service.attach_document(
        session, proposal=proposal, question_key="brief", document=document, actor=actor, now=now
    )
    submission_service.submit_proposal(
        session,
        proposal=proposal,
        declarations={"unclassified", "truthful", "consent"},
        idempotency_key="world",
        store=blobs,
        user=user,
        actor=actor,
        now=now,
        links=LINKS,
    )
    proposal.reconfirmation_required_at = now
    session.commit()
    return proposal

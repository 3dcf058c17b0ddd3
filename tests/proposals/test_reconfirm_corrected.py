"""Re-confirmation checks the proposal against the corrected definition: a question the correction made
required must be answered first (the company amends instead), and the refusal names the question."""

from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.challenges.schemas import ChallengeDefinition
from app.clock import FrozenClock
from app.errors import ValidationFailed
from app.proposals.models import Proposal, ProposalVersion
from app.proposals.submissions import rules as submission_rules
from app.proposals.submissions import service as submission_service
from app.workspace.corrections import service as corrections
from tests.evaluations.helpers import actor, make_organisation, post, submit_proposal
from tests.factories import BASE_DEFINITION, LINKS, create_challenge, create_user, log_in

PLAN = {
    "key": "plan",
    "type": "long_text",
    "label": {"nl": "Plan van aanpak", "en": "Plan of approach"},
    "max_words": 200,
}


def _stage(*, plan_required: bool) -> dict[str, object]:
    """The test stage without its document question (the proposals here are stored directly, without blobs)."""
    stage = copy.deepcopy(BASE_DEFINITION["stages"][0])
    stage["questions"] = [stage["questions"][0], {**PLAN, "required": plan_required}]
    return stage


def _corrected(session: Session, clock: FrozenClock, *, plan: str | None = None) -> tuple[Proposal, object]:
    """A submitted proposal that left the optional plan empty (or amended with ``plan`` answered); then a
    correction makes the plan required."""
    challenge = create_challenge(session, stages=[_stage(plan_required=False)])
    company = create_user(session, email="lid@firma.example", name="Lid Firma")
    organisation = make_organisation(session, name="Firma Radar B.V.", kvk="12312312", member=company)
    proposal = submit_proposal(session, challenge=challenge, organisation=organisation, documents={})
    if plan is not None:
        first = session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id)).one()
        content = {**first.content, "answers": {**first.content["answers"], "plan": plan}}
        session.add(
            ProposalVersion(
                proposal_id=proposal.id,
                number=2,
                kind="amend",
                challenge_version=1,
                content=content,
                receipt_hash="c" * 64,
                received_at=first.received_at,
                idempotency_key=f"amend-{proposal.id}",
            )
        )
        proposal.version_count = 2
        session.commit()
    admin = create_user(session, email="beheer@mindef.example", name="Beheerder", roles=("administrator",))
    data = copy.deepcopy(BASE_DEFINITION)
    data["stages"] = [_stage(plan_required=True)]
    corrections.correct_challenge(
        session,
        challenge=challenge,
        definition=ChallengeDefinition.model_validate(data),
        reason="Plan van aanpak verplicht",
        actor=actor(admin),
        now=clock.now(),
        extension_days=6,
        links=LINKS,
    )
    session.commit()
    assert proposal.reconfirmation_required_at == clock.now()
    return proposal, company


def test_reconfirmation_refused_until_a_newly_required_question_is_answered(
    session: Session, clock: FrozenClock
) -> None:
    proposal, company = _corrected(session, clock)
    with pytest.raises(ValidationFailed) as refused:
        submission_service.reconfirm_proposal(
            session,
            proposal=proposal,
            idempotency_key="r",
            user=company,  # type: ignore[arg-type]
            actor=actor(company),
            now=clock.now(),
            links=LINKS,
        )
    assert [(e.path, e.message, e.params) for e in refused.value.errors] == [
        ("q_plan", submission_rules.MSG_ANSWER_NOW_REQUIRED, {"question": "plan"})
    ]
    session.rollback()
    assert session.scalar(select(func.count(ProposalVersion.id))) == 1
    assert session.get_one(Proposal, proposal.id).reconfirmation_required_at is not None


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("nl", "De gecorrigeerde challenge vraagt een antwoord op „Plan van aanpak”"),
        ("en", "The corrected challenge requires an answer to “Plan of approach”: amend the proposal and answer it"),
    ],
)
def test_reconfirmation_page_names_the_question(
    client: TestClient, session: Session, clock: FrozenClock, language: str, message: str
) -> None:
    proposal, company = _corrected(session, clock)
    log_in(client, session, company, now=clock.now())
    client.cookies.set("portal_lang", language)
    response = post(client, f"/proposals/{proposal.id}/reconfirm", {"submission_key": "k" * 20})
    assert response.status_code == 422
    assert message in response.text
    session.expire_all()
    assert session.get_one(Proposal, proposal.id).version_count == 1


def test_reconfirmation_with_every_required_answer_still_works(session: Session, clock: FrozenClock) -> None:
    proposal, company = _corrected(session, clock, plan="Eerst testen.")
    made = submission_service.reconfirm_proposal(
        session,
        proposal=proposal,
        idempotency_key="r",
        user=company,  # type: ignore[arg-type]
        actor=actor(company),
        now=clock.now(),
        links=LINKS,
    )
    assert (made.kind, made.number) == ("reconfirm", 3)

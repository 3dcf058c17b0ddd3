"""Release of a stage's decisions: confirmed first, reported afterwards, and final. After release nothing about
the evaluation of that stage can change, by any command; releasing the last stage decides the challenge, and
the coordinators' workspace shows what the public sees next to the status."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges.models import Challenge
from app.clock import FrozenClock
from app.errors import InvalidTransition
from app.evaluations import service as evaluation_service
from app.evaluations.approvals import service as approval_service
from app.evaluations.assignments import service as assignment_service
from app.evaluations.decisions import service as decision_service
from app.evaluations.eligibility import service as eligibility_service
from app.evaluations.enums import DecisionOutcome
from app.evaluations.models import (
    Assignment,
    ConflictDeclaration,
    ConsensusScore,
    Decision,
    EligibilityDecision,
    Evaluation,
    EvaluationScore,
    SecurityAssessment,
)
from app.evaluations.pool import service as pool_service
from app.evaluations.results import service as results_service
from app.evaluations.results.rules import EvaluationPolicy
from app.evaluations.schemas import DecisionForm, DeclarationForm, EligibilityForm
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.security import service as security_service
from app.notifications.models import OutboxMessage
from tests.evaluations.helpers import (
    Scenario,
    actor,
    after_deadline,
    approve,
    build_scenario,
    post,
    submit_proposal,
)
from tests.factories import LINKS, csrf, log_in
from tests.markup import without_labels

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")
ORIGIN = ""  # url_for in the templates writes paths, never the Host header
RELEASED_NL = "De besluiten van deze fase zijn bekendgemaakt: de beoordeling ervan kan niet meer veranderen."
RELEASED_EN = "The decisions of this stage have been released: its evaluation can no longer change."
SCORES = {"effect": ("2", "Sterk effect."), "safety": ("1", "Voldoende veilig.")}
ASSESSMENT = {factor: {"rating": "low", "justification": "Beperkt."} for factor in FACTORS}


@dataclass
class Released:
    """A stage whose decisions are released, with work in every state a command could still touch."""

    s: Scenario
    submitted: Assignment  # declared, scores and assessment submitted
    draft: Assignment  # declared, scores saved as a draft
    undeclared: Assignment  # not declared yet, nothing scored
    spare: Any  # an evaluator in the pool without assignments


def _prepare(session: Session, s: Scenario, now: datetime, *, outcomes: tuple[DecisionOutcome, ...]) -> None:
    """Consensus, a decision per proposal (in order), and their approval by a second coordinator."""
    coordinator = actor(s.coordinator)
    for proposal, outcome in zip(s.proposals, outcomes, strict=True):
        results_service.record_consensus(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            entries={"effect": ("2", "Samen besproken."), "safety": ("1", "Samen besproken.")},
            actor=coordinator,
            now=now,
        )
        decision_service.prepare_decision(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            form=DecisionForm(outcome=outcome, feedback=f"Terugkoppeling {outcome.value}."),
            actor=coordinator,
            now=now,
        )
    approve(session, s, now)


def _assign(session: Session, s: Scenario, proposal: Any, evaluator: Any, now: datetime) -> Assignment:
    return assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=proposal.id,
        evaluator_id=evaluator.id,
        actor=actor(s.coordinator),
        now=now,
        links=LINKS,
    )


def _declare(session: Session, assignment: Assignment, evaluator: Any, now: datetime) -> evaluator_service.Opened:
    opened = evaluator_service.open_assignment(session, assignment_id=assignment.id, user=evaluator, now=now)
    evaluator_service.declare(
        session, opened=opened, form=DeclarationForm(has_conflict=False), actor=actor(evaluator), now=now, links=LINKS
    )
    return opened


def _released(session: Session, clock: FrozenClock) -> Released:
    s = build_scenario(session, proposals=2, evaluators=4)
    after_deadline(clock)
    now = clock.now()
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=now
        )
    first, second, third, spare = s.evaluators
    submitted = _assign(session, s, s.proposals[0], first, now)
    opened = _declare(session, submitted, first, now)
    evaluator_service.save_evaluation(
        session, opened=opened, raw=SCORES, assessed_trl="5", submit=True, actor=actor(first), now=now
    )
    security_service.save_assessment(
        session, opened=opened, factors=ASSESSMENT, submit=True, actor=actor(first), now=now
    )
    draft = _assign(session, s, s.proposals[0], second, now)
    opened = _declare(session, draft, second, now)
    evaluator_service.save_evaluation(
        session, opened=opened, raw=SCORES, assessed_trl="", submit=False, actor=actor(second), now=now
    )
    undeclared = _assign(session, s, s.proposals[1], third, now)
    _prepare(session, s, now, outcomes=(DecisionOutcome.AWARD, DecisionOutcome.REJECT))
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
    return Released(s, submitted, draft, undeclared, spare)


def _state(session: Session, s: Scenario) -> dict[str, Any]:
    """Everything about the stage's evaluation (and the audit trail and outbox), to compare before and after."""
    session.flush()
    session.expire_all()
    ids = [p.id for p in s.proposals]
    assignments = list(session.scalars(select(Assignment).where(Assignment.proposal_id.in_(ids))))
    assignment_ids = [a.id for a in assignments]
    evaluations = list(session.scalars(select(Evaluation).where(Evaluation.assignment_id.in_(assignment_ids))))
    return {
        "assignments": sorted((a.id, a.proposal_id, a.evaluator_id, a.status) for a in assignments),
        "declarations": sorted(
            (d.assignment_id, d.has_conflict)
            for d in session.scalars(
                select(ConflictDeclaration).where(ConflictDeclaration.assignment_id.in_(assignment_ids))
            )
        ),
        "evaluations": sorted((e.id, e.status, e.assessed_trl, e.reopen_reason) for e in evaluations),
        "scores": sorted(
            (row.evaluation_id, row.criterion_key, row.score, row.justification)
            for row in session.scalars(
                select(EvaluationScore).where(EvaluationScore.evaluation_id.in_([e.id for e in evaluations]))
            )
        ),
        "assessments": sorted(
            (a.assignment_id, a.status, json.dumps(a.factors, sort_keys=True))
            for a in session.scalars(
                select(SecurityAssessment).where(SecurityAssessment.assignment_id.in_(assignment_ids))
            )
        ),
        "eligibility": sorted(
            (e.proposal_id, e.admissible, e.reason)
            for e in session.scalars(select(EligibilityDecision).where(EligibilityDecision.proposal_id.in_(ids)))
        ),
        "consensus": sorted(
            (c.proposal_id, c.criterion_key, c.score, c.rationale)
            for c in session.scalars(select(ConsensusScore).where(ConsensusScore.proposal_id.in_(ids)))
        ),
        "decisions": sorted(
            (d.proposal_id, d.outcome, d.feedback, d.status, d.released_at)
            for d in session.scalars(select(Decision).where(Decision.proposal_id.in_(ids)))
        ),
        "challenge": session.get_one(Challenge, s.challenge.id).status,
        "audit_events": session.scalar(select(func.count(AuditEvent.id))),
        "outbox": session.scalar(select(func.count(OutboxMessage.id))),
    }


# --- every command is refused after release, and changes nothing -----------------------------------

Command = Callable[[Session, Released, datetime], object]


def _opened(session: Session, assignment: Assignment, now: datetime) -> evaluator_service.Opened:
    from app.accounts.models import User

    user = session.get_one(User, assignment.evaluator_id)
    return evaluator_service.open_assignment(session, assignment_id=assignment.id, user=user, now=now)


def _by(r: Released) -> Any:
    return actor(r.s.coordinator)


COMMANDS: dict[str, Command] = {
    "assign": lambda session, r, now: _assign(session, r.s, r.s.proposals[1], r.spare, now),
    "assign_many": lambda session, r, now: assignment_service.assign_many(
        session,
        challenge=r.s.challenge,
        stage=r.s.stage,
        pairs=[(r.s.proposals[1].id, r.spare.id)],
        actor=_by(r),
        now=now,
        source="test",
        links=LINKS,
    ),
    "import_csv": lambda session, r, now: assignment_service.import_assignments(
        session,
        challenge=r.s.challenge,
        stage=r.s.stage,
        data=f"proposal,evaluator_email\n{r.s.proposals[1].reference},{r.spare.email}\n".encode(),
        actor=_by(r),
        now=now,
        links=LINKS,
    ),
    "auto_assign": lambda session, r, now: assignment_service.auto_assign(
        session,
        challenge=r.s.challenge,
        stage=r.s.stage,
        per_proposal=3,
        max_per_evaluator=5,
        actor=_by(r),
        now=now,
        links=LINKS,
    ),
    "unassign": lambda session, r, now: assignment_service.unassign(
        session, stage=r.s.stage, assignment_id=r.undeclared.id, actor=_by(r), now=now
    ),
    "eligibility": lambda session, r, now: eligibility_service.set_eligibility(
        session,
        challenge=r.s.challenge,
        stage=r.s.stage,
        proposal_id=r.s.proposals[1].id,
        form=EligibilityForm(admissible=False, reason="Te laat aangevuld."),
        actor=_by(r),
        now=now,
    ),
    "declaration": lambda session, r, now: evaluator_service.declare(
        session,
        opened=_opened(session, r.undeclared, now),
        form=DeclarationForm(has_conflict=False),
        actor=actor(r.s.evaluators[2]),
        now=now,
        links=LINKS,
    ),
    "save_scores": lambda session, r, now: evaluator_service.save_evaluation(
        session,
        opened=_opened(session, r.draft, now),
        raw={"effect": ("0", "Toch zwak."), "safety": ("0", "Toch onveilig.")},
        assessed_trl="3",
        submit=False,
        actor=actor(r.s.evaluators[1]),
        now=now,
    ),
    "submit_scores": lambda session, r, now: evaluator_service.save_evaluation(
        session,
        opened=_opened(session, r.draft, now),
        raw=SCORES,
        assessed_trl="5",
        submit=True,
        actor=actor(r.s.evaluators[1]),
        now=now,
    ),
    "save_assessment": lambda session, r, now: security_service.save_assessment(
        session,
        opened=_opened(session, r.draft, now),
        factors=ASSESSMENT,
        submit=False,
        actor=actor(r.s.evaluators[1]),
        now=now,
    ),
    "submit_assessment": lambda session, r, now: security_service.save_assessment(
        session,
        opened=_opened(session, r.draft, now),
        factors=ASSESSMENT,
        submit=True,
        actor=actor(r.s.evaluators[1]),
        now=now,
    ),
    "reopen": lambda session, r, now: evaluator_service.reopen_evaluation(
        session,
        stage=r.s.stage,
        evaluation_id=r.submitted.evaluation.id,
        reason="Graag opnieuw bekijken.",
        actor=_by(r),
        now=now,
        links=LINKS,
    ),
    "consensus": lambda session, r, now: results_service.record_consensus(
        session,
        challenge=r.s.challenge,
        stage=r.s.stage,
        proposal_id=r.s.proposals[1].id,
        entries={"effect": ("0", "Herzien."), "safety": ("0", "Herzien.")},
        actor=_by(r),
        now=now,
    ),
    "prepare_decision": lambda session, r, now: decision_service.prepare_decision(
        session,
        challenge=r.s.challenge,
        stage=r.s.stage,
        proposal_id=r.s.proposals[1].id,
        form=DecisionForm(outcome=DecisionOutcome.AWARD, feedback="Toch gegund."),
        actor=_by(r),
        now=now,
    ),
    "shortlist": lambda session, r, now: decision_service.shortlist(
        session,
        challenge=r.s.challenge,
        stage=r.s.stage,
        top=2,
        actor=_by(r),
        now=now,
        feedback="Door.",
        policy=EvaluationPolicy(),
    ),
    "approve": lambda session, r, now: approval_service.approve_decisions(
        session, challenge=r.s.challenge, stage=r.s.stage, actor=_by(r), now=now, policy=EvaluationPolicy()
    ),
    "release_again": lambda session, r, now: decision_service.release_decisions(
        session, challenge=r.s.challenge, stage=r.s.stage, actor=_by(r), now=now, links=LINKS, policy=EvaluationPolicy()
    ),
}


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_command_after_release_is_refused_and_changes_nothing(
    session: Session, clock: FrozenClock, command: str
) -> None:
    r = _released(session, clock)
    before = _state(session, r.s)
    with pytest.raises(InvalidTransition) as refused:
        COMMANDS[command](session, r, clock.now())
    assert refused.value.message == evaluation_service.MSG_STAGE_RELEASED
    assert _state(session, r.s) == before


def test_pool_stays_editable_after_release(client: TestClient, session: Session, clock: FrozenClock) -> None:
    r = _released(session, clock)
    log_in(client, session, r.s.coordinator, now=clock.now())
    removed = post(client, f"{r.s.base}/pool/{r.spare.id}/remove")
    assert removed.status_code == 303
    assert post(client, f"{r.s.base}/pool", {"evaluator_id": str(r.spare.id)}).status_code == 303
    assert [u.id for u in pool_service.list_pool(session, challenge_id=r.s.challenge.id)].count(r.spare.id) == 1


# --- through the web: a POST that arrives anyway gets the message, in the user's language -----------


def _coordinator_posts(r: Released) -> dict[str, tuple[str, dict[str, str]]]:
    p1 = r.s.proposals[1]
    return {
        "eligibility": (f"/eligibility/{p1.id}", {"admissible": "no", "reason": "Te laat."}),
        "assign": ("/assignments", {"proposal_id": str(p1.id), "evaluator_id": str(r.spare.id)}),
        "unassign": (f"/assignments/{r.undeclared.id}/remove", {}),
        "auto_assign": ("/assignments/auto", {"per_proposal": "3", "max_per_evaluator": "5"}),
        "reopen": (f"/evaluations/{r.submitted.evaluation.id}/reopen", {"reason": "Nog eens."}),  # type: ignore[union-attr]
        "consensus": (
            f"/proposals/{p1.id}/consensus",
            {"score_effect": "0", "rationale_effect": "Herzien.", "score_safety": "0", "rationale_safety": "Herzien."},
        ),
        "prepare_decision": (f"/proposals/{p1.id}/decision", {"outcome": "award", "feedback": "Toch gegund."}),
        "shortlist": ("/shortlist", {"top": "2", "feedback": "Door."}),
        "approve": ("/decisions/approve", {}),
        "release_again": ("/decisions/release", {}),
    }


@pytest.mark.parametrize("language", ["nl", "en"])
def test_coordinator_posts_after_release_show_the_message(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    r = _released(session, clock)
    log_in(client, session, r.s.coordinator, now=clock.now())
    client.cookies.set("portal_lang", language)
    message = RELEASED_NL if language == "nl" else RELEASED_EN
    before = _state(session, r.s)
    for name, (path, data) in _coordinator_posts(r).items():
        response = post(client, r.s.base + path, data)
        assert (response.status_code, name) == (422, name)
        assert message in response.text, name
    csv_text = f"proposal,evaluator_email\n{r.s.proposals[1].reference},{r.spare.email}\n"
    imported = client.post(
        f"{r.s.base}/assignments/import",
        data={"csrf_token": csrf(client)},
        files={"file": ("a.csv", csv_text.encode(), "text/csv")},
    )
    assert imported.status_code == 422
    assert message in imported.text
    assert _state(session, r.s) == before


@pytest.mark.parametrize("language", ["nl", "en"])
def test_evaluator_posts_after_release_show_the_message(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    r = _released(session, clock)
    message = RELEASED_NL if language == "nl" else RELEASED_EN
    before = _state(session, r.s)
    scores = {"action": "submit", "assessed_trl": "5"}
    scores |= {"score_effect": "2", "justification_effect": "Goed.", "score_safety": "1"}
    scores |= {"justification_safety": "Goed."}
    assessment = {"action": "submit"} | {f"rating_{f}": "low" for f in FACTORS}
    assessment |= {f"factor_justification_{f}": "Beperkt." for f in FACTORS}
    cases = [
        (r.s.evaluators[2], f"/evaluate/assignments/{r.undeclared.id}/declaration", {"has_conflict": "none"}),
        (r.s.evaluators[1], f"/evaluate/assignments/{r.draft.id}/scores", scores),
        (r.s.evaluators[1], f"/evaluate/assignments/{r.draft.id}/security", assessment),
    ]
    for evaluator, url, data in cases:
        log_in(client, session, evaluator, now=clock.now())
        client.cookies.set("portal_lang", language)
        response = post(client, url, data)
        assert (response.status_code, url) == (422, url)
        assert message in response.text, url
        assert f'action="{ORIGIN}{url}"' not in response.text  # the form is not offered again
    assert _state(session, r.s) == before


# --- the pages of a released stage: a notice, and no forms that would change it -------------------


def test_coordinator_pages_after_release_show_a_notice_and_no_forms(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    r = _released(session, clock)
    log_in(client, session, r.s.coordinator, now=clock.now())
    p0, p1 = r.s.proposals
    gone = [
        r.s.base + "/assignments",
        r.s.base + "/assignments/auto",
        f"{r.s.base}/assignments/{r.undeclared.id}/remove",
        f"{r.s.base}/evaluations/{r.submitted.evaluation.id}/reopen",  # type: ignore[union-attr]
        f"{r.s.base}/proposals/{p0.id}/consensus",
        f"{r.s.base}/proposals/{p1.id}/decision",
        r.s.base + "/shortlist",
        r.s.base + "/decisions/approve",
        r.s.base + "/decisions/release",
        f"{r.s.base}/eligibility/{p0.id}",
        f"{r.s.base}/eligibility/{p1.id}",
    ]
    for page in ("/assignments", "/results", "/decisions", f"/proposals/{p1.id}", "/eligibility", "/calibration"):
        response = client.get(r.s.base + page)
        assert (response.status_code, page) == (200, page)
        assert RELEASED_NL in response.text, page
        for action in gone:
            assert f'action="{ORIGIN}{action}"' not in response.text, (page, action)
        assert f'action="{ORIGIN}{r.s.base}/assignments/import?' not in response.text, page
        assert f'href="{ORIGIN}{r.s.base}/decisions/release"' not in response.text, page
    # The pool is per challenge and stays editable for the other stages.
    assignments = client.get(r.s.base + "/assignments").text
    assert f'action="{ORIGIN}{r.s.base}/pool/{r.spare.id}/remove"' in assignments


def test_evaluator_pages_after_release_show_a_notice_and_no_forms(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    r = _released(session, clock)
    pages = [
        (r.s.evaluators[2], f"/evaluate/assignments/{r.undeclared.id}", "/declaration"),
        (r.s.evaluators[1], f"/evaluate/assignments/{r.draft.id}", "/scores"),
        (r.s.evaluators[1], f"/evaluate/assignments/{r.draft.id}/security", ""),
        (r.s.evaluators[0], f"/evaluate/assignments/{r.submitted.id}/security", ""),
    ]
    for evaluator, url, action in pages:
        log_in(client, session, evaluator, now=clock.now())
        response = client.get(url)
        assert (response.status_code, url) == (200, url)
        assert RELEASED_NL in response.text, url
        assert f'action="{ORIGIN}{url}{action}"' not in response.text, url
    log_in(client, session, r.s.evaluators[1], now=clock.now())
    draft = client.get(f"/evaluate/assignments/{r.draft.id}").text
    assert "Niet ingediend: deze scores zijn als concept opgeslagen." in draft
    assert "Sterk effect." in draft


# --- release: confirmation first, a record afterwards --------------------------------------------------


def _approved(session: Session, clock: FrozenClock, *, proposals: int = 3, two_stages: bool = False) -> Scenario:
    """A stage whose decisions are approved (first award, the others reject) and ready to release."""
    s = build_scenario(session, proposals=proposals, evaluators=1, two_stages=two_stages)
    after_deadline(clock)
    outcomes = (DecisionOutcome.AWARD,) + (DecisionOutcome.REJECT,) * (proposals - 1)
    _prepare(session, s, clock.now(), outcomes=outcomes)
    session.commit()
    return s


def test_release_button_leads_to_a_confirmation_page(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = _approved(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/decisions").text
    assert f'<a class="button" href="{ORIGIN}{s.base}/decisions/release">' in page
    assert f'action="{ORIGIN}{s.base}/decisions/release"' not in page  # no release straight from the list
    confirm = client.get(f"{s.base}/decisions/release")
    assert confirm.status_code == 200
    text = confirm.text
    assert "U staat op het punt 3 besluiten van deze fase bekend te maken:" in text
    assert "<li>Gunnen: 1</li>" in text and "<li>Afwijzen: 2</li>" in text
    assert "Elk van de 3 bedrijven ontvangt per e-mail zijn besluit, de consensusscores en de terugkoppeling" in text
    assert "De beoordeling van deze fase wordt afgesloten" in text
    assert "Dit is de laatste fase: de status van de challenge wordt „Besloten”." in text
    assert "<strong>Dit kan niet ongedaan worden gemaakt.</strong>" in text
    assert f'<form method="post" action="{ORIGIN}{s.base}/decisions/release">' in text
    assert 'name="csrf_token"' in text
    assert ">3 besluiten bekendmaken en de bedrijven berichten</button>" in text
    assert f'href="{ORIGIN}{s.base}/decisions">Annuleren: terug naar de besluiten</a>' in text
    # Looking is not releasing.
    assert [d.status for d in session.scalars(select(Decision))] == ["reviewed"] * 3
    assert evaluation_service.is_stage_released(session, stage_id=s.stage.id) is False


def test_release_confirmation_in_english_names_the_outcomes(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _approved(session, clock, proposals=2, two_stages=True)
    log_in(client, session, s.coordinator, now=clock.now())
    client.cookies.set("portal_lang", "en")
    text = client.get(f"{s.base}/decisions/release").text
    assert "You are about to release 2 decisions of this stage:" in text
    assert "<li>Award: 1</li>" in text and "<li>Reject: 1</li>" in text
    assert "This is the last stage" not in text  # a first stage: the challenge stays as it is
    assert ">Release 2 decisions and notify the companies</button>" in text


def test_release_confirmation_lists_what_is_missing_and_offers_no_button(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2, evaluators=1)
    after_deadline(clock)
    decision_service.prepare_decision(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=s.proposals[0].id,
        form=DecisionForm(outcome=DecisionOutcome.REJECT, feedback="Helaas."),
        actor=actor(s.coordinator),
        now=clock.now(),
    )
    session.commit()
    log_in(client, session, s.coordinator, now=clock.now())
    text = client.get(f"{s.base}/decisions/release").text
    assert "De besluiten kunnen nog niet worden bekendgemaakt:" in text
    assert f"1 van de 2 voorstellen van deze fase hebben nog geen besluit: {s.proposals[1].reference}." in text
    assert "De besluiten zijn nog niet goedgekeurd door een tweede coördinator." in text
    assert f'action="{ORIGIN}{s.base}/decisions/release"' not in text


def test_release_then_reload_shows_when_by_whom_and_how_many(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from app.formatting import format_local_datetime

    s = _approved(session, clock)
    # A company without an active member gets no e-mail and is not counted as notified.
    from app.organisations.models import Membership

    session.delete(session.get_one(Membership, (s.organisations[2].id, s.companies[2].id)))
    session.commit()
    log_in(client, session, s.coordinator, now=clock.now())
    released = post(client, f"{s.base}/decisions/release")
    assert released.status_code == 303
    assert released.headers["location"] == f"{s.base}/decisions"
    when = format_local_datetime(clock.now(), "nl")
    clock.advance(timedelta(hours=2))  # the record tells the moment of release, not of reading
    log_in(client, session, s.coordinator, now=clock.now())
    for _ in range(2):  # and stays true on reload
        text = client.get(f"{s.base}/decisions").text
        assert f"3 besluiten zijn op {when} bekendgemaakt door {s.coordinator.name}." in text
        assert "2 bedrijven zijn per e-mail op de hoogte gebracht." in text
        assert f"Voorbereid door {s.coordinator.name}; goedgekeurd door {s.extra['approver'].name}." in text
    confirm = client.get(f"{s.base}/decisions/release").text
    assert f"3 besluiten zijn op {when} bekendgemaakt door {s.coordinator.name}." in confirm
    assert f'action="{ORIGIN}{s.base}/decisions/release"' not in confirm
    assert (
        session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.template == "decision_released")) == 2
    )


# --- the challenge's status follows the release of its last stage -------------------------------------


def _challenge_events(session: Session, s: Scenario) -> list[tuple[str, int | None]]:
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.actor_id)
        .where(AuditEvent.object_type == "challenge", AuditEvent.object_id == str(s.challenge.id))
        .where(AuditEvent.action.in_(["challenge.evaluation", "challenge.decided"]))
        .order_by(AuditEvent.id)
    )
    return [(action, actor_id) for action, actor_id in rows]


def test_releasing_the_last_stage_decides_the_challenge(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _approved(session, clock, proposals=2)
    assert s.challenge.status == "published"
    log_in(client, session, s.coordinator, now=clock.now())
    assert post(client, f"{s.base}/decisions/release").status_code == 303
    session.expire_all()
    assert session.get_one(Challenge, s.challenge.id).status == "decided"
    coordinator = s.coordinator.id
    assert _challenge_events(session, s) == [("challenge.evaluation", coordinator), ("challenge.decided", coordinator)]


def test_releasing_the_last_stage_from_evaluation_records_one_step(session: Session, clock: FrozenClock) -> None:
    from app.challenges import service as challenge_service
    from app.challenges.enums import ChallengeStatus

    s = _approved(session, clock, proposals=1)
    challenge_service.transition_challenge(
        session, challenge=s.challenge, to=ChallengeStatus.EVALUATION, actor=actor(s.coordinator), now=clock.now()
    )
    decision_service.release_decisions(
        session,
        challenge=s.challenge,
        stage=s.stage,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
        policy=EvaluationPolicy(),
    )
    assert s.challenge.status == "decided"
    assert [action for action, _ in _challenge_events(session, s)] == ["challenge.evaluation", "challenge.decided"]


def test_release_of_a_cancelled_challenge_is_refused(session: Session, clock: FrozenClock) -> None:
    from app.challenges import service as challenge_service
    from app.challenges.enums import ChallengeStatus

    s = _approved(session, clock, proposals=1)
    challenge_service.transition_challenge(
        session,
        challenge=s.challenge,
        to=ChallengeStatus.CANCELLED,
        actor=actor(s.coordinator),
        now=clock.now(),
        reason="Budget vervallen.",
    )
    session.commit()
    before = _state(session, s)
    with pytest.raises(InvalidTransition):
        decision_service.release_decisions(
            session,
            challenge=s.challenge,
            stage=s.stage,
            actor=actor(s.coordinator),
            now=clock.now(),
            links=LINKS,
            policy=EvaluationPolicy(),
        )
    assert _state(session, s) == before


def test_releasing_the_first_of_two_stages_leaves_the_status(session: Session, clock: FrozenClock) -> None:
    s = _approved(session, clock, proposals=2, two_stages=True)
    decision_service.release_decisions(
        session,
        challenge=s.challenge,
        stage=s.stage,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
        policy=EvaluationPolicy(),
    )
    session.commit()
    assert s.challenge.status == "published"
    assert _challenge_events(session, s) == []
    # The second (last) stage: its release decides the challenge.
    full = s.challenge.stages[1]
    proposal = submit_proposal(session, challenge=s.challenge, organisation=s.organisations[0], stage=full)
    clock.set(datetime(2027, 6, 2, 9, 0, tzinfo=UTC))
    now = clock.now()
    results_service.record_consensus(
        session,
        challenge=s.challenge,
        stage=full,
        proposal_id=proposal.id,
        entries={"effect": ("2", "Samen."), "safety": ("2", "Samen.")},
        actor=actor(s.coordinator),
        now=now,
    )
    decision_service.prepare_decision(
        session,
        challenge=s.challenge,
        stage=full,
        proposal_id=proposal.id,
        form=DecisionForm(outcome=DecisionOutcome.AWARD, feedback="Gegund."),
        actor=actor(s.coordinator),
        now=now,
    )
    approve(session, s, now, stage=full)
    decision_service.release_decisions(
        session,
        challenge=s.challenge,
        stage=full,
        actor=actor(s.coordinator),
        now=now,
        links=LINKS,
        policy=EvaluationPolicy(),
    )
    assert s.challenge.status == "decided"
    assert [action for action, _ in _challenge_events(session, s)] == ["challenge.evaluation", "challenge.decided"]


# --- the workspace shows what the public sees --------------------------------------------------------


def _public_badge(text: str) -> str:
    start = text.index('<span class="badge badge-')
    return text[text.index(">", start) + 1 : text.index("</span>", start)]


def _workspace(client: TestClient, s: Scenario) -> tuple[str, str]:
    text = client.get(f"/manage/challenges/{s.challenge.slug}").text
    status = text[text.index('id="challenge-status">') + len('id="challenge-status">') :]
    phase = text[text.index('id="challenge-public-phase">') + len('id="challenge-public-phase">') :]
    return status[: status.index("</span>")], phase[: phase.index("</span>")]


def test_workspace_and_public_page_agree_before_and_after_release(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    clock.set(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))  # the stage is open
    log_in(client, session, s.coordinator, now=clock.now())
    assert _public_badge(client.get(f"/challenges/{s.challenge.slug}").text) == "Open"
    assert _workspace(client, s) == ("Status: Gepubliceerd", "Openbare pagina: Open")
    assert "<td>Gepubliceerd</td>\n    <td>Open</td>" in without_labels(client.get("/manage").text)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    assert _public_badge(client.get(f"/challenges/{s.challenge.slug}").text) == "Gesloten"
    assert _workspace(client, s) == ("Status: Gepubliceerd", "Openbare pagina: Gesloten")
    _prepare(session, s, clock.now(), outcomes=(DecisionOutcome.AWARD,))
    session.commit()
    assert post(client, f"{s.base}/decisions/release").status_code == 303
    assert _public_badge(client.get(f"/challenges/{s.challenge.slug}").text) == "Gesloten"
    assert _workspace(client, s) == ("Status: Besloten", "Openbare pagina: Gesloten")
    assert "<td>Besloten</td>\n    <td>Gesloten</td>" in without_labels(client.get("/manage").text)


def test_workspace_says_a_draft_is_not_on_the_public_pages(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from tests.factories import create_challenge, create_user

    challenge = create_challenge(session, publish=False, slug="concept-challenge")
    administrator = create_user(session, email="beheer@mindef.example", name="Beheer", roles=("administrator",))
    log_in(client, session, administrator, now=clock.now())
    client.cookies.set("portal_lang", "en")
    text = client.get(f"/manage/challenges/{challenge.slug}").text
    assert 'id="challenge-public-phase">Public page: not shown</span>' in text
    assert client.get(f"/challenges/{challenge.slug}").status_code == 404

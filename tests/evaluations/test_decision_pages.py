"""The decision pages in the states real evaluation data puts them in: a knocked-out proposal on the results
page, factors rated high on the route page, in Dutch and in English."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations import service as evaluation_service
from app.evaluations.route import rules as route
from app.evaluations.scoring import rules as scoring
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.security import service as security_service
from app.i18n import translate
from tests.evaluations.helpers import actor, after_deadline, build_scenario, post
from tests.evaluations.test_decisions import _consensus, _score
from tests.factories import log_in

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")


def _language(client: TestClient, language: str) -> None:
    client.cookies.set("portal_lang", language)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_results_page_shows_proposals_knocked_out_by_a_criterion_and_by_the_total(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=3, evaluators=2, definition={"knockout_total_minimum": 1.0})
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 0), (2, 0)], 1: [(1, 2), (1, 2)], 2: [(0, 1), (0, 1)]})
    log_in(client, session, s.coordinator, now=clock.now())
    _language(client, language)
    assert _consensus(client, s, 0, 2, 0) == 303  # safety 0 is below its minimum of 1: knocked out
    assert _consensus(client, s, 1, 1, 2) == 303  # 0.6 + 0.8 = 1.4: ranked
    assert _consensus(client, s, 2, 0, 1) == 303  # 0 + 0.4 = 0.4, below the total minimum of 1.0: knocked out
    page = client.get(f"{s.base}/results")
    assert page.status_code == 200
    title = "Veiligheid" if language == "nl" else "Safety"
    assert translate(language, scoring.MSG_BELOW_CRITERION_MINIMUM, criterion=title, score=0, minimum=1) in page.text
    assert translate(language, scoring.MSG_BELOW_TOTAL_MINIMUM, total="0.40", minimum=1.0) in page.text
    # The knocked-out proposals come after the ranked one.
    ranked = page.text.index(s.proposals[1].reference + "</a>")
    assert ranked < page.text.index(s.proposals[0].reference + "</a>")
    assert ranked < page.text.index(s.proposals[2].reference + "</a>")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_route_page_shows_factors_rated_high(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(1, 1), (1, 1)]})
    ratings = {
        "security_risks": "high",
        "policy_goals": "high",
        "armed_forces": "low",
        "industrial_capabilities": "medium",
    }
    for evaluator in s.evaluators:
        assignment = next(
            a
            for a in evaluation_service.assignments_for_stage(session, stage_id=s.stage.id)
            if a.evaluator_id == evaluator.id
        )
        opened = evaluator_service.open_assignment(
            session, assignment_id=assignment.id, user=evaluator, now=clock.now()
        )
        factors = {f: {"rating": ratings[f], "justification": "Onderbouwd."} for f in FACTORS}
        security_service.save_assessment(
            session, opened=opened, factors=factors, submit=True, actor=actor(evaluator), now=clock.now()
        )
    session.commit()
    log_in(client, session, s.coordinator, now=clock.now())
    _language(client, language)
    url = f"/manage/challenges/{s.challenge.slug}/evaluation/route"
    page = client.get(url)
    assert page.status_code == 200
    factor = translate(language, route.FACTOR_LABELS[route.SecurityFactor.SECURITY_RISKS])
    assert escape(translate(language, route.MSG_FACTOR_HIGH, factor=factor, count=2, total=2)) in page.text
    assert post(client, url, {"chosen": "article_346", "reason": ""}).status_code == 303


def test_status_form_as_the_browser_posts_it_cancels_with_a_reason(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    log_in(client, session, s.coordinator, now=clock.now())
    url = f"/manage/challenges/{s.challenge.slug}/status"
    page = client.get(f"/manage/challenges/{s.challenge.slug}")
    assert 'name="status_to"' in page.text and 'name="status_reason"' in page.text
    refused = post(client, url, {"status_to": "cancelled", "status_reason": ""})
    assert refused.status_code == 422
    assert 'id="status_reason-error"' in refused.text
    session.refresh(s.challenge)
    assert s.challenge.status == "published"
    done = post(client, url, {"status_to": "cancelled", "status_reason": "Het budget is vervallen."})
    assert done.status_code == 303
    session.refresh(s.challenge)
    assert s.challenge.status == "cancelled"


def test_status_form_refuses_a_status_outside_the_table(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    log_in(client, session, s.coordinator, now=clock.now())
    refused = post(
        client, f"/manage/challenges/{s.challenge.slug}/status", {"status_to": "archived", "status_reason": ""}
    )
    assert refused.status_code == 422
    assert 'id="status_to-error"' in refused.text
    session.refresh(s.challenge)
    assert s.challenge.status == "published"

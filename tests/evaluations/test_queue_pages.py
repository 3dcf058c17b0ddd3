"""The evaluator's queue a page at a time (the next to do first, counts, page bounds, pages that do not exist) and
where submitting the scores and the security assessment leads (the next step, then back to the queue)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.challenges.enums import ChallengeStatus
from app.clock import FrozenClock
from app.evaluations.assignments import service as assignment_service
from app.evaluations.models import Assignment
from app.evaluations.pool import service as pool_service
from app.evaluations.scoring import queue as queue_module
from tests.evaluations.helpers import Scenario, actor, after_deadline, build_scenario, post
from tests.factories import LINKS, log_in

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")
SCORES = {
    "action": "submit",
    "score_effect": "2",
    "justification_effect": "Sterk.",
    "score_safety": "1",
    "justification_safety": "Voldoende.",
    "assessed_trl": "4",
}
ASSESSMENT = {"action": "submit"} | {
    key: value
    for factor in FACTORS
    for key, value in ((f"rating_{factor}", "low"), (f"factor_justification_{factor}", f"Reden {factor}."))
}


def _assign_all(session: Session, s: Scenario, clock: FrozenClock, evaluator: Any) -> list[Assignment]:
    pool_service.add_to_pool(
        session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
    )
    assignments = [
        assignment_service.assign(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            evaluator_id=evaluator.id,
            actor=actor(s.coordinator),
            now=clock.now(),
            links=LINKS,
        )
        for proposal in s.proposals
    ]
    session.commit()
    return assignments


def _references(page: str) -> list[str]:
    """The proposal references in the queue's rows, in their order."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row"[^>]*>(?:<a href="[^"]+">)?([^<]+)<', body)


def _next_link(page: str) -> str | None:
    found = re.search(r'id="next-todo" href="([^"]+)"', page)
    return found.group(1) if found else None


def _declare(client: TestClient, assignment: Assignment, conflict: bool = False) -> None:
    data = {"has_conflict": "conflict", "reason": "Oud-werkgever."} if conflict else {"has_conflict": "none"}
    assert post(client, f"/evaluate/assignments/{assignment.id}/declaration", data).status_code == 303


def _queue_world(client: TestClient, session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Five assignments of evaluator 0, two a page: p0 done, p1 declared, p2 and p3 to declare, p4 conflicted;
    evaluator 1 has one of their own on p0."""
    monkeypatch.setattr(queue_module, "PAGE_SIZE", 2)
    s = build_scenario(session, proposals=5)
    after_deadline(clock)
    mine = _assign_all(session, s, clock, s.evaluators[0])
    theirs = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=s.proposals[0].id,
        evaluator_id=s.evaluators[1].id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    log_in(client, session, s.evaluators[0], now=clock.now())
    _declare(client, mine[0])
    assert post(client, f"/evaluate/assignments/{mine[0].id}/scores", SCORES).status_code == 303
    assert post(client, f"/evaluate/assignments/{mine[0].id}/security", ASSESSMENT).status_code == 303
    _declare(client, mine[1])
    _declare(client, mine[4], conflict=True)
    return s, mine, theirs


def test_queue_shows_the_next_to_do_first_a_page_at_a_time(
    client: TestClient, session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, mine, theirs = _queue_world(client, session, clock, monkeypatch)
    ref = [p.reference for p in s.proposals]
    pages = [client.get("/evaluate" + query) for query in ("", "?page=2", "?page=3")]
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert [_references(page.text) for page in pages] == [[ref[1], ref[2]], [ref[3], ref[0]], [ref[4]]]
    for page in pages:
        assert (
            "5 voorstellen aan u toegewezen: 3 te doen, 1 klaar, 1 vrijgegeven na een verklaard belangenconflict."
            in page.text
        )
        assert _next_link(page.text) == f"/evaluate/assignments/{mine[1].id}"
        assert "queue-no-page" not in page.text
        assert f"/evaluate/assignments/{theirs.id}" not in page.text
    first, middle, last = (page.text for page in pages)
    assert "1 tot en met 2 van 5" in first and "3 tot en met 4 van 5" in middle and "5 tot en met 5 van 5" in last
    assert '<span aria-current="page">Pagina 1 van 3</span>' in first
    assert 'href="/evaluate?page=2" rel="next"' in first and 'href="/evaluate?page=3">' in first
    assert 'rel="prev"' not in first
    assert 'href="/evaluate?page=1" rel="prev"' in middle and 'href="/evaluate?page=3" rel="next"' in middle
    assert 'href="/evaluate?page=2" rel="prev"' in last and 'href="/evaluate?page=1">' in last
    assert 'rel="next"' not in last
    # The conflicted assignment is listed without a link; the others link to their page.
    assert f"/evaluate/assignments/{mine[4].id}" not in last and ref[4] in last
    assert f'href="/evaluate/assignments/{mine[0].id}"' in middle


def test_queue_orders_stages_by_deadline_then_proposal(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    """Two challenges: the one whose deadline came first is to be done first, though it was made later (its
    stage's and its proposals' ids are the higher); within a stage, by proposal."""
    from tests.factories import BASE_DEFINITION

    late = build_scenario(session, proposals=2)
    stage = {**BASE_DEFINITION["stages"][0], "deadline": "2027-02-24T17:00:00"}
    early = build_scenario(session, proposals=2, prefix="b", definition={"stages": [stage]})
    assert early.stage.id > late.stage.id and early.stage.deadline_at < late.stage.deadline_at
    after_deadline(clock)
    evaluator = late.evaluators[0]
    _assign_all(session, late, clock, evaluator)
    _assign_all(session, early, clock, evaluator)
    log_in(client, session, evaluator, now=clock.now())
    page = client.get("/evaluate").text
    expected = [p.reference for p in sorted(early.proposals, key=lambda p: p.id)]
    expected += [p.reference for p in sorted(late.proposals, key=lambda p: p.id)]
    assert _references(page) == expected
    assert "4 voorstellen aan u toegewezen: 4 te doen, 0 klaar." in page


def test_queue_in_english_counts_and_names_the_pages(
    client: TestClient, session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, _mine, _theirs = _queue_world(client, session, clock, monkeypatch)
    client.cookies.set("portal_lang", "en")
    page = client.get("/evaluate?page=2")
    assert page.status_code == 200
    assert (
        "5 proposals assigned to you: 3 to do, 1 done, 1 released after a declared conflict of interest." in page.text
    )
    assert '<nav class="pagination" aria-label="Pages of your evaluations">' in page.text
    assert '<span aria-current="page">Page 2 of 3</span>' in page.text
    assert ">Previous page<" in page.text and ">Next page<" in page.text
    assert f"Next to do: {s.proposals[1].reference}" in page.text


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("0", 1), ("-1", 1), ("abc", 1), ("1.5", 1), ("1e3", 1), ("٣", 1), ("9" * 30, 3), ("4", 3), ("99", 3), (" 2 ", 2)],
)
def test_queue_page_that_does_not_exist_shows_the_nearest_and_says_so(
    client: TestClient, session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, asked: str, shown: int
) -> None:
    _queue_world(client, session, clock, monkeypatch)
    page = client.get("/evaluate", params={"page": asked})
    assert page.status_code == 200
    assert f'<span aria-current="page">Pagina {shown} van 3</span>' in page.text
    if asked.strip() == str(shown):
        assert "queue-no-page" not in page.text
    else:
        assert 'id="queue-no-page"' in page.text
        assert f"Er is geen pagina “{asked[:20]}”; dit is pagina {shown} van 3." in page.text


def test_queue_page_asked_for_is_escaped(
    client: TestClient, session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _queue_world(client, session, clock, monkeypatch)
    page = client.get("/evaluate", params={"page": "<b>x"})
    assert page.status_code == 200
    assert "<b>x" not in page.text and "&lt;b&gt;x" in page.text


def test_empty_queue_answers_any_page(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    for query in ("", "?page=2", "?page=x"):
        page = client.get("/evaluate" + query)
        assert page.status_code == 200
        assert "Er zijn u geen voorstellen toegewezen." in page.text
        assert "next-todo" not in page.text and "pagination" not in page.text


def test_queue_of_a_cancelled_challenge_has_nothing_to_do(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2)
    after_deadline(clock)
    _assign_all(session, s, clock, s.evaluators[0])
    s.challenge.status = ChallengeStatus.CANCELLED.value
    session.commit()
    log_in(client, session, s.evaluators[0], now=clock.now())
    page = client.get("/evaluate")
    assert page.status_code == 200
    assert "2 voorstellen aan u toegewezen: 0 te doen, 0 klaar, 2 van fasen die niet meer open zijn" in page.text
    assert _next_link(page.text) is None
    assert _references(page.text) == [p.reference for p in s.proposals]


def test_submitting_leads_to_the_next_step_then_the_queue(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2)
    after_deadline(clock)
    first, second = _assign_all(session, s, clock, s.evaluators[0])
    log_in(client, session, s.evaluators[0], now=clock.now())
    queue = client.get("/evaluate").text
    assert _next_link(queue) == f"/evaluate/assignments/{first.id}" and "queue-done" not in queue
    _declare(client, first)
    base = f"/evaluate/assignments/{first.id}"
    draft = post(client, f"{base}/scores", {**SCORES, "action": "save"})
    assert (draft.status_code, draft.headers["location"]) == (303, base)  # a draft returns to the form
    submitted = post(client, f"{base}/scores", SCORES)
    assert (submitted.status_code, submitted.headers["location"]) == (303, f"{base}/security?done=scores")
    security = client.get(submitted.headers["location"])
    assert 'id="scores-submitted"' in security.text and "De laatste stap" in security.text
    assert 'id="scores-submitted"' not in client.get(f"{base}/security").text
    draft = post(client, f"{base}/security", {**ASSESSMENT, "action": "save"})
    assert (draft.status_code, draft.headers["location"]) == (303, f"{base}/security")
    assessed = post(client, f"{base}/security", ASSESSMENT)
    assert (assessed.status_code, assessed.headers["location"]) == (303, "/evaluate?done=evaluation")
    queue = client.get(assessed.headers["location"]).text
    assert 'id="queue-done"' in queue and "de beoordeling van dit voorstel is klaar" in queue
    assert _next_link(queue) == f"/evaluate/assignments/{second.id}"
    assert "2 voorstellen aan u toegewezen: 1 te doen, 1 klaar." in queue


def test_assessment_first_leads_to_the_scores_then_the_queue(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    (assignment,) = _assign_all(session, s, clock, s.evaluators[0])
    log_in(client, session, s.evaluators[0], now=clock.now())
    _declare(client, assignment)
    base = f"/evaluate/assignments/{assignment.id}"
    assessed = post(client, f"{base}/security", ASSESSMENT)
    assert (assessed.status_code, assessed.headers["location"]) == (303, f"{base}?done=assessment")
    page = client.get(assessed.headers["location"])
    assert 'id="assessment-submitted"' in page.text and "Uw scores moeten nog worden ingediend." in page.text
    submitted = post(client, f"{base}/scores", SCORES)
    assert (submitted.status_code, submitted.headers["location"]) == (303, "/evaluate?done=evaluation")
    queue = client.get("/evaluate").text
    assert _next_link(queue) is None and "1 voorstel aan u toegewezen: 0 te doen, 1 klaar." in queue


def test_refused_submit_shows_no_step_notice(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    (assignment,) = _assign_all(session, s, clock, s.evaluators[0])
    log_in(client, session, s.evaluators[0], now=clock.now())
    _declare(client, assignment)
    base = f"/evaluate/assignments/{assignment.id}"
    refused = post(client, f"{base}/scores", {**SCORES, "justification_safety": ""})
    assert refused.status_code == 422 and "assessment-submitted" not in refused.text
    refused = post(client, f"{base}/security", {**ASSESSMENT, "rating_armed_forces": ""})
    assert refused.status_code == 422 and "scores-submitted" not in refused.text

"""Evaluation routes. The world's challenge is before its deadline and its coordinator is not assigned to it:
coordinator pages answer 404 to everyone but administrators, and to them too where proposal content would
show (sealed). Evaluator pages exist only for evaluators (and administrators); unknown ids answer 404.
Organisation A's data never reaches anyone (``private_to=()``).
"""

from __future__ import annotations

from tests.authz.rows import LOGIN, NOT_FOUND, OK, REDIRECT, Row

NOBODY: tuple[str, ...] = ()
STAFF_EVALUATORS = ("evaluator", "administrator")
BASE_ROUTE = "/manage/challenges/{slug}/evaluation"
STAGE_ROUTE = BASE_ROUTE + "/{stage_key}"
BASE = "/manage/challenges/{challenge_slug}/evaluation"
STAGE = BASE + "/brief"


def _login_then(status: int | str, *actors: str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(actors, status)}


SEALED = _login_then(NOT_FOUND)  # everyone logged in: 404 (sealed, or not theirs)

_STAGE_GETS = [
    "/eligibility",
    "/assignments",
    "/assignments.csv",
    "/results",
    "/calibration",
    "/decisions",
    "/decisions/release",
]
_STAGE_POSTS = [
    ("/eligibility/{proposal_id}", "/eligibility/999999", {"admissible": "yes"}),
    ("/pool", "/pool", {"evaluator_id": "{user_evaluator}"}),
    ("/pool/{user_id}/remove", "/pool/{user_evaluator}/remove", {}),
    ("/assignments", "/assignments", {"proposal_id": "999999", "evaluator_id": "{user_evaluator}"}),
    ("/assignments/{assignment_id}/remove", "/assignments/999999/remove", {}),
    ("/assignments/auto", "/assignments/auto", {"per_proposal": "3", "max_per_evaluator": "10"}),
    ("/assignments/import", "/assignments/import", {}),
    ("/evaluations/{evaluation_id}/reopen", "/evaluations/999999/reopen", {"reason": "Matrix"}),
    ("/proposals/{proposal_id}/consensus", "/proposals/999999/consensus", {}),
    ("/proposals/{proposal_id}/decision", "/proposals/999999/decision", {"outcome": "award", "feedback": "x"}),
    ("/shortlist", "/shortlist", {"top": "1", "feedback": "x"}),
    ("/decisions/approve", "/decisions/approve", {}),
    ("/decisions/release", "/decisions/release", {}),
    ("/invite", "/invite", {}),
]

ROWS = [
    # The overview shows counts only: administrators (who manage every challenge) see it; the world's
    # coordinator is not assigned to this challenge.
    Row("GET", BASE_ROUTE, BASE, _login_then(OK, "administrator"), private_to=NOBODY),
    Row("GET", BASE_ROUTE + "/route", BASE + "/route", SEALED, private_to=NOBODY),
    Row("POST", BASE_ROUTE + "/route", BASE + "/route", SEALED, data={"chosen": "adv"}, private_to=NOBODY),
    Row("POST", BASE_ROUTE + "/route/approve", BASE + "/route/approve", SEALED, private_to=NOBODY),
    Row("GET", STAGE_ROUTE + "/proposals/{proposal_id}", STAGE + "/proposals/999999", SEALED, private_to=NOBODY),
    Row("GET", STAGE_ROUTE + "/export.{fmt}", STAGE + "/export.xlsx", SEALED, private_to=NOBODY),
    # After the deadline the release confirmation opens to those who manage the challenge (here: administrators).
    Row(
        "GET",
        STAGE_ROUTE + "/decisions/release",
        STAGE + "/decisions/release",
        _login_then(NOT_FOUND, "member_a", "member_b", "evaluator", "coordinator") | {"administrator": OK},
        private_to=NOBODY,
        after_deadline=True,
    ),
    *[Row("GET", STAGE_ROUTE + path, STAGE + path, SEALED, private_to=NOBODY) for path in _STAGE_GETS],
    *[
        Row("POST", STAGE_ROUTE + route, STAGE + url, SEALED, data=data, private_to=NOBODY)
        for route, url, data in _STAGE_POSTS
    ],
    # Evaluators: their queue; an assignment that is not theirs (here: none exists) is 404.
    Row("GET", "/evaluate", "/evaluate", _login_then(OK, *STAFF_EVALUATORS), private_to=NOBODY),
    Row("GET", "/evaluate/assignments/{assignment_id}", "/evaluate/assignments/999999", SEALED, private_to=NOBODY),
    Row(
        "POST",
        "/evaluate/assignments/{assignment_id}/declaration",
        "/evaluate/assignments/999999/declaration",
        SEALED,
        data={"has_conflict": "none"},
        private_to=NOBODY,
    ),
    Row(
        "POST",
        "/evaluate/assignments/{assignment_id}/scores",
        "/evaluate/assignments/999999/scores",
        SEALED,
        data={"action": "save"},
        private_to=NOBODY,
    ),
    Row(
        "GET",
        "/evaluate/assignments/{assignment_id}/security",
        "/evaluate/assignments/999999/security",
        SEALED,
        private_to=NOBODY,
    ),
    Row(
        "POST",
        "/evaluate/assignments/{assignment_id}/security",
        "/evaluate/assignments/999999/security",
        SEALED,
        data={"action": "save"},
        private_to=NOBODY,
    ),
    Row(
        "GET",
        "/evaluate/assignments/{assignment_id}/documents/{question_key}",
        "/evaluate/assignments/999999/documents/brief",
        SEALED,
        private_to=NOBODY,
    ),
    # Affiliations: evaluators (and administrators) keep their own.
    Row("GET", "/account/affiliations", "/account/affiliations", _login_then(OK, *STAFF_EVALUATORS), private_to=NOBODY),
    Row(
        "POST",
        "/account/affiliations",
        "/account/affiliations",
        _login_then(REDIRECT, *STAFF_EVALUATORS),
        data={"organisation_name": "Matrix Holding B.V.", "kvk_number": "55555555", "nature": "advisory"},
        private_to=NOBODY,
    ),
    Row(
        "POST",
        "/account/affiliations/{affiliation_id}/remove",
        "/account/affiliations/999999/remove",
        SEALED,
        private_to=NOBODY,
    ),
    # A company's released decision: no such proposal here, so 404 for everyone.
    Row("GET", "/proposals/{proposal_id}/decision", "/proposals/999999/decision", SEALED, private_to=NOBODY),
]

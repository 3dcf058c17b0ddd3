"""Question routes: anyone logged in asks and follows; the Nota is public; only the challenge's coordinators
(and administrators) see the inbox. The matrix world's challenge has no coordinator assigned, so the
``coordinator`` actor gets 404 on its management routes, like every company user and evaluator.

The world holds no question, so the per-entry routes are checked with an id that does not exist (404 for
everyone); tests/questions/test_pages.py covers them with real entries, including another challenge's
coordinator.
"""

from __future__ import annotations

from tests.authz.rows import EVERYONE, LOGIN, NOT_FOUND, OK, REDIRECT, Row
from tests.authz.world import ACTORS

LOGGED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
ONLY_A = ("member_a",)


def _logged_in(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, status)}


def _administrator(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "administrator": status}


ASK = "/challenges/{slug}/questions"
MANAGE = "/manage/challenges/{challenge_slug}"
ROWS = [
    Row("GET", ASK, "/challenges/{challenge_slug}/questions", _logged_in(OK), private_to=ONLY_A),
    Row(
        "POST",
        ASK,
        "/challenges/{challenge_slug}/questions",
        _logged_in(REDIRECT),
        data={"text": "Hoe zwaar mag het prototype zijn?", "section": "criteria"},
        private_to=ONLY_A,
    ),
    Row(
        "POST",
        "/challenges/{slug}/follow",
        "/challenges/{challenge_slug}/follow",
        _logged_in(REDIRECT),
        data={"follow": "yes"},
        private_to=ONLY_A,
    ),
    Row("GET", "/challenges/{slug}/nota", "/challenges/{challenge_slug}/nota", EVERYONE, private_to=()),
    # No version has been published in the world: version 1 does not exist, for anyone.
    Row(
        "GET",
        "/challenges/{slug}/nota/{number}",
        "/challenges/{challenge_slug}/nota/1",
        dict.fromkeys(ACTORS, NOT_FOUND),
        private_to=(),
    ),
    Row(
        "GET",
        "/manage/challenges/{slug}/questions",
        MANAGE + "/questions",
        _administrator(OK),
        private_to=("member_a", "administrator"),
    ),
    # Nothing is marked for publication: the administrator gets the inbox again with the reason (422).
    Row(
        "POST",
        "/manage/challenges/{slug}/nota/publish",
        MANAGE + "/nota/publish",
        _administrator(422),
        private_to=("member_a", "administrator"),
    ),
    Row(
        "GET",
        "/manage/challenges/{slug}/questions/{entry_id}",
        MANAGE + "/questions/{question_a}",
        _administrator(OK),
        private_to=("member_a", "administrator"),
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/questions/{entry_id}",
        MANAGE + "/questions/{question_a}",
        _administrator(REDIRECT),
        data={"question_nl": "Vraag", "answer_nl": "Antwoord", "action": "save"},
        private_to=("member_a", "administrator"),
    ),
]

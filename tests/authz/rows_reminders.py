"""Notices and reminders: the reminder setting (anyone logged in, for their own account), the subscription
pages (anyone, also without an account; made-up links answer 410 to everyone), and the due date of a stage's
evaluation (its coordinators and administrators, after the deadline; evaluators and companies get 404)."""

from __future__ import annotations

from tests.authz.rows import EVERYONE, LOGIN, NOT_FOUND, REDIRECT, Row
from tests.authz.world import ACTORS

NOBODY: tuple[str, ...] = ()
GONE = 410
LOGGED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
DUE_ROUTE = "/manage/challenges/{slug}/evaluation/{stage_key}/due-date"
DUE_URL = "/manage/challenges/{challenge_slug}/evaluation/brief/due-date"
CONFIRM = "/subscriptions/confirm/{token}"
UNSUBSCRIBE = "/subscriptions/unsubscribe/{token}"

ROWS = [
    Row(
        "POST",
        "/account/reminders",
        "/account/reminders",
        {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, REDIRECT)},
        data={"reminders": "off"},
        private_to=NOBODY,
    ),
    Row("GET", "/subscriptions", "/subscriptions", EVERYONE, private_to=NOBODY),
    Row(
        "POST",
        "/subscriptions",
        "/subscriptions",
        dict.fromkeys(ACTORS, REDIRECT),
        data={"email": "matrix@example.nl", "areas": "sensoren", "language": "nl"},
        private_to=NOBODY,
    ),
    Row("GET", CONFIRM, "/subscriptions/confirm/made-up", dict.fromkeys(ACTORS, GONE), private_to=NOBODY),
    Row("POST", CONFIRM, "/subscriptions/confirm/made-up", dict.fromkeys(ACTORS, GONE), private_to=NOBODY),
    Row("GET", UNSUBSCRIBE, "/subscriptions/unsubscribe/1.abc", dict.fromkeys(ACTORS, GONE), private_to=NOBODY),
    Row("POST", UNSUBSCRIBE, "/subscriptions/unsubscribe/1.abc", dict.fromkeys(ACTORS, GONE), private_to=NOBODY),
    # Before the deadline the stage's evaluation is sealed: 404 for everyone logged in.
    Row(
        "POST",
        DUE_ROUTE,
        DUE_URL,
        {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, NOT_FOUND)},
        data={"due_on": "2027-03-10"},
        private_to=NOBODY,
    ),
    # After it, those who manage the challenge (here: administrators) set it; an evaluator, a company and a
    # coordinator of another challenge get 404.
    Row(
        "POST",
        DUE_ROUTE,
        DUE_URL,
        {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, NOT_FOUND), "administrator": REDIRECT},
        data={"due_on": "2027-03-10"},
        private_to=NOBODY,
        after_deadline=True,
    ),
]

"""Market dialogue and the follow-up after an award. The world's challenge has no coordinator assigned and no event,
so the ``coordinator`` actor gets 404 on its management routes like every company user and evaluator, and the
per-event routes are checked with an event id that does not exist (404 for everyone who gets that far); the world's
proposal of organisation A has no released award, so its follow-up is 404 for everyone.
tests/events/ covers every route with real events, registrations and awards, including the negative cases (another
challenge's coordinator, a competitor, an evaluator, a registrant on the waiting list)."""

from __future__ import annotations

from tests.authz.rows import EVERYONE, LOGIN, NOT_FOUND, OK, REDIRECT, Row
from tests.authz.world import ACTORS
from tests.events.helpers import event_form

LOGGED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
NO_EVENT = "999999"
PUBLIC = "/challenges/{challenge_slug}/events"
MANAGE = "/manage/challenges/{challenge_slug}/events"
FOLLOW_UP = "/manage/challenges/{challenge_slug}/follow-up"
STAFF_ONLY = ("administrator",)


def _login_then(status: int | str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, status)}


def _administrator(status: int | str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "administrator": status}


ROWS = [
    # The public side: the list is open to all, a missing event is 404, registering needs a login.
    Row("GET", "/challenges/{slug}/events", PUBLIC, EVERYONE, private_to=()),
    Row("GET", "/challenges/{slug}/events/{event_id}", f"{PUBLIC}/{NO_EVENT}", dict.fromkeys(ACTORS, NOT_FOUND)),
    Row(
        "POST", "/challenges/{slug}/events/{event_id}/register", f"{PUBLIC}/{NO_EVENT}/register", _login_then(NOT_FOUND)
    ),
    Row("POST", "/challenges/{slug}/events/{event_id}/cancel", f"{PUBLIC}/{NO_EVENT}/cancel", _login_then(NOT_FOUND)),
    Row(
        "GET",
        "/challenges/{slug}/events/{event_id}/calendar.ics",
        f"{PUBLIC}/{NO_EVENT}/calendar.ics",
        _login_then(NOT_FOUND),
    ),
    # The coordinators' side: the challenge's coordinators and administrators only.
    Row("GET", "/manage/challenges/{slug}/events", MANAGE, _administrator(OK), private_to=STAFF_ONLY),
    Row("GET", "/manage/challenges/{slug}/events/new", MANAGE + "/new", _administrator(OK), private_to=STAFF_ONLY),
    Row(
        "POST",
        "/manage/challenges/{slug}/events/new",
        MANAGE + "/new",
        _administrator(REDIRECT),
        data=event_form(),
        private_to=STAFF_ONLY,
    ),
    Row("GET", "/manage/challenges/{slug}/events/{event_id}", f"{MANAGE}/{NO_EVENT}", _administrator(NOT_FOUND)),
    Row(
        "POST",
        "/manage/challenges/{slug}/events/{event_id}",
        f"{MANAGE}/{NO_EVENT}",
        _administrator(NOT_FOUND),
        data=event_form(),
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/events/{event_id}/status",
        f"{MANAGE}/{NO_EVENT}/status",
        _administrator(NOT_FOUND),
        data={"status": "cancelled"},
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/events/{event_id}/summary",
        f"{MANAGE}/{NO_EVENT}/summary",
        _administrator(NOT_FOUND),
        data={"summary_nl": "Samenvatting", "summary_en": "Summary"},
    ),
    Row(
        "GET",
        "/manage/challenges/{slug}/events/{event_id}/attendees.csv",
        f"{MANAGE}/{NO_EVENT}/attendees.csv",
        _administrator(NOT_FOUND),
    ),
    # After the award.
    Row("GET", "/manage/challenges/{slug}/follow-up", FOLLOW_UP, _administrator(OK), private_to=STAFF_ONLY),
    Row(
        "GET",
        "/manage/challenges/{slug}/follow-up/{proposal_id}",
        FOLLOW_UP + "/{proposal_a}",
        _administrator(NOT_FOUND),
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/follow-up/{proposal_id}",
        FOLLOW_UP + "/{proposal_a}",
        _administrator(NOT_FOUND),
        data={"contract_route": "adv", "contract_reference": "X"},
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/follow-up/{proposal_id}/milestones",
        FOLLOW_UP + "/{proposal_a}/milestones",
        _administrator(NOT_FOUND),
        data={"title": "Prototype", "due_on": "2027-09-01"},
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/follow-up/{proposal_id}/milestones/{milestone_id}",
        FOLLOW_UP + "/{proposal_a}/milestones/1",
        _administrator(NOT_FOUND),
        data={"status-1": "done", "done_on-1": "2027-09-01"},
    ),
    Row("GET", "/proposals/{proposal_id}/follow-up", "/proposals/{proposal_a}/follow-up", _login_then(NOT_FOUND)),
]

"""Account routes: public forms answer everyone the same; the account pages need a login."""

from __future__ import annotations

from tests.authz.rows import LOGIN, OK, REDIRECT, Row
from tests.authz.world import ACTORS

INVALID = 422  # an empty form re-rendered with its messages
GONE = 410  # an unknown, used or expired link
STAFF = ("evaluator", "coordinator", "administrator")
MEMBERS = ("member_a", "member_b")


def _all(status: int | str) -> dict[str, int | str]:
    return dict.fromkeys(ACTORS, status)


def _logged_in(status: int | str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **{actor: status for actor in ACTORS if actor != "anonymous"}}


ROWS = [
    Row("GET", "/register", "/register", _all(OK), private_to=()),
    Row("POST", "/register", "/register", _all(INVALID), private_to=()),
    Row("GET", "/confirm/{token}", "/confirm/not-a-real-token", _all(GONE), private_to=()),
    Row("POST", "/confirm", "/confirm", _all(OK), data={"email": "nobody@example.nl"}, private_to=()),
    Row("GET", "/login", "/login", _all(OK), private_to=()),
    Row("POST", "/login", "/login", _all(INVALID), private_to=()),
    Row("POST", "/logout", "/logout", _all(REDIRECT), private_to=()),
    Row(
        "GET",
        "/login/two-factor",
        "/login/two-factor",
        {"anonymous": LOGIN, **dict.fromkeys(MEMBERS, REDIRECT), **dict.fromkeys(STAFF, OK)},
        private_to=(),
    ),
    Row("POST", "/login/two-factor", "/login/two-factor", _logged_in(INVALID), private_to=()),
    Row("GET", "/account/two-factor", "/account/two-factor", _logged_in(OK), private_to=("member_a",)),
    Row(
        "POST",
        "/account/two-factor",
        "/account/two-factor",
        {"anonymous": LOGIN, **dict.fromkeys(MEMBERS, INVALID), **dict.fromkeys(STAFF, REDIRECT)},
        private_to=("member_a",),
    ),
    Row("GET", "/password/forgot", "/password/forgot", _all(OK), private_to=()),
    Row("POST", "/password/forgot", "/password/forgot", _all(INVALID), private_to=()),
    Row("GET", "/password/reset/{token}", "/password/reset/not-a-real-token", _all(GONE), private_to=()),
    Row("POST", "/password/reset/{token}", "/password/reset/not-a-real-token", _all(GONE), private_to=()),
    Row("GET", "/account", "/account", _logged_in(OK), private_to=("member_a",)),
    Row("POST", "/account/name", "/account/name", _logged_in(INVALID), private_to=("member_a",)),
    Row("POST", "/account/password", "/account/password", _logged_in(INVALID), private_to=("member_a",)),
]

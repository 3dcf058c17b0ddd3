"""Public routes: the same for everyone."""

from __future__ import annotations

from tests.authz.rows import EVERYONE, OK, REDIRECT, Row

ROWS = [
    Row("GET", "/", "/", EVERYONE, private_to=()),
    Row("GET", "/challenges/{slug}", "/challenges/{challenge_slug}", EVERYONE, private_to=()),
    Row("GET", "/api/v1/challenges", "/api/v1/challenges", EVERYONE, private_to=()),
    Row("GET", "/api/v1/challenges/{slug}", "/api/v1/challenges/{challenge_slug}", EVERYONE, private_to=()),
    Row("GET", "/api/openapi.json", "/api/openapi.json", EVERYONE, private_to=()),
    Row("GET", "/transparency", "/transparency", EVERYONE, private_to=()),
    Row("GET", "/healthz", "/healthz", EVERYONE, private_to=()),
    Row("GET", "/readyz", "/readyz", EVERYONE, private_to=()),
    Row("GET", "/feeds/challenges.atom", "/feeds/challenges.atom?lang=en", EVERYONE, private_to=()),
    Row("GET", "/feeds/deadlines.ics", "/feeds/deadlines.ics", EVERYONE, private_to=()),
    Row(
        "GET", "/challenges/{slug}/deadlines.ics", "/challenges/{challenge_slug}/deadlines.ics", EVERYONE, private_to=()
    ),
    Row("GET", "/receipts", "/receipts", EVERYONE, private_to=()),
    # Organisation A's receipt code, checked by anyone: the time and the challenge, never A's name or answers.
    Row("POST", "/receipts", "/receipts", EVERYONE, data={"code": "{receipt_a}"}, private_to=()),
    Row("GET", "/language/{code}", "/language/en?next=/", dict.fromkeys(EVERYONE, REDIRECT), private_to=()),
]
assert all(status in (OK, REDIRECT) for row in ROWS for status in row.expect.values())

"""The statement pages (the same for everyone) and their editor (administrators only; everyone else a 404 or the
login page)."""

from __future__ import annotations

from tests.authz.rows import EVERYONE, LOGIN, NOT_FOUND, OK, REDIRECT, Row

ADMIN_ONLY = ("administrator",)


def _admin(status: int) -> dict[str, int | str]:
    return {
        "anonymous": LOGIN,
        "member_a": NOT_FOUND,
        "member_b": NOT_FOUND,
        "evaluator": NOT_FOUND,
        "coordinator": NOT_FOUND,
        "administrator": status,
    }


ROWS = [
    Row("GET", "/statements/{kind}", "/statements/privacy", EVERYONE, private_to=()),
    Row("GET", "/statements/{kind}", "/statements/cookies", EVERYONE, private_to=()),
    Row("GET", "/admin/statements", "/admin/statements", _admin(OK), private_to=ADMIN_ONLY),
    Row(
        "GET",
        "/admin/statements/{kind}/{language}",
        "/admin/statements/contact/en",
        _admin(OK),
        private_to=ADMIN_ONLY,
    ),
    Row(
        "POST",
        "/admin/statements/{kind}/{language}",
        "/admin/statements/contact/en",
        _admin(REDIRECT),
        data={"body": "# Help\n\nWrite to helpdesk@challenges.example.nl."},
        private_to=ADMIN_ONLY,
    ),
]

"""Administrator pages: only administrators (with the second factor); everyone else gets a 404 or the login page."""

from __future__ import annotations

from tests.authz.rows import LOGIN, NOT_FOUND, OK, REDIRECT, Row

ADMIN_ONLY = ("administrator",)


def _expect(admin: int) -> dict[str, int | str]:
    return {
        "anonymous": LOGIN,
        "member_a": NOT_FOUND,
        "member_b": NOT_FOUND,
        "evaluator": NOT_FOUND,
        "coordinator": NOT_FOUND,
        "administrator": admin,
    }


ROWS = [
    Row("GET", "/admin/users", "/admin/users", _expect(OK), private_to=ADMIN_ONLY),
    Row("GET", "/admin/users", "/admin/users?q=alice", _expect(OK), private_to=ADMIN_ONLY),
    Row("GET", "/admin/users/{user_id}", "/admin/users/{user_member_a}", _expect(OK), private_to=ADMIN_ONLY),
    Row(
        "POST",
        "/admin/users/{user_id}/roles",
        "/admin/users/{user_member_a}/roles",
        _expect(REDIRECT),
        data={"role": "evaluator"},
        private_to=ADMIN_ONLY,
    ),
    Row(
        "POST",
        "/admin/users/{user_id}/roles/revoke",
        "/admin/users/{user_evaluator}/roles/revoke",
        _expect(REDIRECT),
        data={"role": "evaluator"},
        private_to=ADMIN_ONLY,
    ),
]

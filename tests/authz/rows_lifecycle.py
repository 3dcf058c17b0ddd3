"""Accounts and administration: a user's own e-mail address and e-mail language (any logged-in user; a change
link answers 410 to anyone when it is not valid), and the administrators' pages to block accounts, reset a
second factor with four eyes, read the audit trail and the outbox. Everyone but an administrator gets a 404
(the login page when anonymous)."""

from __future__ import annotations

from tests.authz.rows import LOGIN, NOT_FOUND, OK, REDIRECT, Row
from tests.factories import DEFAULT_PASSWORD

ADMIN_ONLY = ("administrator",)
LOGGED_IN = ("member_a", "member_b", "evaluator", "coordinator", "administrator")
GONE = 410
MISSING = 999_999  # no such reset or message: an administrator gets 404 too, everyone else never gets further


def _admin(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "administrator": status}


def _anyone_logged_in(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, status)}


ROWS = [
    Row(
        "POST",
        "/account/email",
        "/account/email",
        _anyone_logged_in(REDIRECT),
        data={"new_email": "nieuw.adres@example.nl", "email_password": DEFAULT_PASSWORD},
    ),
    Row("GET", "/account/email/confirm/{token}", "/account/email/confirm/not-a-valid-token", {}, default=GONE),
    Row("POST", "/account/email/confirm/{token}", "/account/email/confirm/not-a-valid-token", {}, default=GONE),
    Row("POST", "/account/language", "/account/language", _anyone_logged_in(REDIRECT), data={"mail_language": "en"}),
    Row(
        "POST",
        "/admin/users/{user_id}/block",
        "/admin/users/{user_member_a}/block",
        _admin(REDIRECT),
        data={"reason": "Misbruik gemeld."},
        private_to=ADMIN_ONLY,
    ),
    Row(
        "POST",
        "/admin/users/{user_id}/unblock",
        "/admin/users/{user_member_a}/unblock",
        _admin(422),  # not blocked: nothing to unblock
        data={"reason": ""},
        private_to=ADMIN_ONLY,
    ),
    Row(
        "POST",
        "/admin/users/{user_id}/two-factor-reset",
        "/admin/users/{user_evaluator}/two-factor-reset",
        _admin(REDIRECT),
        data={"reset_reason": "Telefoon verloren."},
        private_to=ADMIN_ONLY,
    ),
    Row("GET", "/admin/two-factor-resets", "/admin/two-factor-resets", _admin(OK), private_to=ADMIN_ONLY),
    Row(
        "POST",
        "/admin/two-factor-resets/{reset_id}/approve",
        f"/admin/two-factor-resets/{MISSING}/approve",
        _admin(NOT_FOUND),
        private_to=ADMIN_ONLY,
    ),
    Row(
        "POST",
        "/admin/two-factor-resets/{reset_id}/cancel",
        f"/admin/two-factor-resets/{MISSING}/cancel",
        _admin(NOT_FOUND),
        private_to=ADMIN_ONLY,
    ),
    Row("GET", "/admin/audit", "/admin/audit", _admin(OK), private_to=ADMIN_ONLY),
    Row(
        "GET",
        "/admin/audit",
        "/admin/audit?object_type=user&object_id={user_member_a}&action=user.*",
        _admin(OK),
        private_to=ADMIN_ONLY,
    ),
    Row("GET", "/admin/audit/export.csv", "/admin/audit/export.csv", _admin(OK), private_to=ADMIN_ONLY),
    Row("GET", "/admin/outbox", "/admin/outbox", _admin(OK), private_to=ADMIN_ONLY),
    Row("GET", "/admin/outbox", "/admin/outbox?status=failed", _admin(OK), private_to=ADMIN_ONLY),
    Row(
        "POST",
        "/admin/outbox/{message_id}/retry",
        f"/admin/outbox/{MISSING}/retry",
        _admin(NOT_FOUND),
        private_to=ADMIN_ONLY,
    ),
]

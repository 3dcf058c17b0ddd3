"""Organisation identity: any logged-in user may report a squatted registration number; only administrators
see the queue, verify organisations and settle disputes."""

from __future__ import annotations

from tests.authz.rows import LOGIN, NOT_FOUND, OK, REDIRECT, Row

ADMIN_ONLY = ("administrator",)
LOGGED_IN = ("member_a", "member_b", "evaluator", "coordinator", "administrator")


def _admin(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "administrator": status}


def _anyone_logged_in(status: int, **overrides: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, status), **overrides}


ROWS = [
    Row("GET", "/organisations/disputes/new", "/organisations/disputes/new?kvk=22222222", _anyone_logged_in(OK)),
    Row(
        "POST",
        "/organisations/disputes/new",
        "/organisations/disputes/new",
        _anyone_logged_in(REDIRECT, member_b=422),  # a member of the registered organisation cannot dispute it
        data={"kvk_number": "22222222", "claimed_name": "Echte Bravo B.V.", "explanation": "Wij zijn Bravo."},
    ),
    Row("GET", "/organisations/disputes/sent", "/organisations/disputes/sent", _anyone_logged_in(OK)),
    Row("GET", "/admin/organisations", "/admin/organisations", _admin(OK), default=NOT_FOUND, private_to=ADMIN_ONLY),
    Row(
        "POST",
        "/admin/organisations/{organisation_id}/verify",
        "/admin/organisations/{org_a}/verify",
        _admin(REDIRECT),
        private_to=ADMIN_ONLY,
    ),
    Row(
        "POST",
        "/admin/disputes/{dispute_id}/resolve",
        "/admin/disputes/{dispute_a}/resolve",
        _admin(REDIRECT),
        data={"decision": "dismiss", "note": "Checked in the register: the registration stands."},
        private_to=ADMIN_ONLY,
    ),
]

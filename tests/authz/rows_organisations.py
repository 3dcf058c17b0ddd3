"""Organisation routes: only members see an organisation; only its administrators change it; others get 404."""

from __future__ import annotations

from tests.authz.rows import LOGIN, NOT_FOUND, OK, REDIRECT, Row
from tests.authz.world import ACTORS

LOGGED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
ONLY_A = ("member_a",)


def _everyone_logged_in(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, status)}


def _member_a(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "member_a": status}


def _details(**overrides: str) -> dict[str, str]:
    data = {
        "legal_name": "Matrix Nieuw B.V.",
        "country": "NL",
        "kvk_number": "33333333",
        "street": "Straat 1",
        "postcode": "1234 AB",
        "city": "Utrecht",
        "is_sme": "yes",
        "new_to_defence": "no",
        "ownership": "independent",
        "security_status": "none",
    }
    data.update(overrides)
    return data


ORG_A = "/organisations/{org_a}"
ROWS = [
    Row("GET", "/organisations", "/organisations", _everyone_logged_in(OK), private_to=ONLY_A),
    Row(
        "POST",
        "/organisations/acting",
        "/organisations/acting",
        _member_a(REDIRECT),
        data={"organisation_id": "{org_a}"},
        private_to=ONLY_A,
    ),
    Row("GET", "/organisations/new", "/organisations/new", _everyone_logged_in(OK), private_to=ONLY_A),
    Row(
        "POST",
        "/organisations/new",
        "/organisations/new",
        _everyone_logged_in(REDIRECT),
        data=_details(),
        private_to=ONLY_A,
    ),
    Row("GET", "/organisations/{organisation_id}", ORG_A, _member_a(OK), private_to=ONLY_A),
    Row("GET", "/organisations/{organisation_id}/edit", ORG_A + "/edit", _member_a(OK), private_to=ONLY_A),
    Row(
        "POST",
        "/organisations/{organisation_id}/edit",
        ORG_A + "/edit",
        _member_a(REDIRECT),
        data=_details(legal_name="Alpha Geheim Defence B.V.", kvk_number="11111111"),
        private_to=ONLY_A,
    ),
    Row(
        "POST",
        "/organisations/{organisation_id}/invitations",
        ORG_A + "/invitations",
        _member_a(REDIRECT),
        data={"email": "new@org-a.example"},
        private_to=ONLY_A,
    ),
    # No invitation with this id exists in organisation A: nobody can revoke it.
    Row(
        "POST",
        "/organisations/{organisation_id}/invitations/{invitation_id}/revoke",
        ORG_A + "/invitations/999999/revoke",
        {"anonymous": LOGIN},
        private_to=ONLY_A,
    ),
    # Alice is organisation A's only administrator: she may not be removed, nor leave (422 with the reason).
    Row(
        "POST",
        "/organisations/{organisation_id}/members/{user_id}/remove",
        ORG_A + "/members/{user_member_a}/remove",
        _member_a(422),
        private_to=ONLY_A,
    ),
    Row("POST", "/organisations/{organisation_id}/leave", ORG_A + "/leave", _member_a(422), private_to=ONLY_A),
    Row(
        "POST",
        "/organisations/{organisation_id}/members/{user_id}/role",
        ORG_A + "/members/{user_member_a}/role",
        _member_a(REDIRECT),
        data={"role": "admin"},
        private_to=ONLY_A,
    ),
    Row("GET", "/invitations/{token}", "/invitations/unknown-token", _everyone_logged_in(NOT_FOUND), private_to=ONLY_A),
    Row(
        "POST",
        "/invitations/{token}",
        "/invitations/unknown-token",
        _everyone_logged_in(NOT_FOUND),
        private_to=ONLY_A,
    ),
]

"""Propositions without a challenge: as private as drafts. Only organisation A's member sees A's proposition;
the triage pages (and the region tags) admit coordinators (and administrators) but no coordinator of the world
triages it. Also the regional teams and coordinators' NLD-gebieden: administrators keep them; a challenge's region
tags are for those who manage it."""

from __future__ import annotations

from tests.authz.rows import LOGIN, OK, REDIRECT, Row
from tests.authz.world import ACTORS

LOGGED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
ONLY_A = ("member_a",)
P = "/propositions/{proposition_a}"
M = "/manage/propositions/{proposition_a}"
FORM = {"title": "Matrix", "effect": "Effect", "nld_area": "quantum", "trl": "3", "description": "Matrix"}


def _logged_in(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, status)}


def _member_a(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "member_a": status}


ROWS = [
    Row("GET", "/propositions", "/propositions", _logged_in(OK), private_to=ONLY_A),
    Row("GET", "/propositions/new", "/propositions/new", _logged_in(OK), private_to=ONLY_A),
    Row("POST", "/propositions/new", "/propositions/new", _logged_in(REDIRECT), data=FORM, private_to=ONLY_A),
    Row("GET", "/propositions/{proposition_id}", P, _member_a(OK), private_to=ONLY_A),
    Row(
        "POST",
        "/propositions/{proposition_id}/messages",
        P + "/messages",
        _member_a(REDIRECT),
        data={"body": "Bericht"},
        private_to=ONLY_A,
    ),
    # Not a multipart body: A's member gets the page with the upload's error; everyone else 404 before reading.
    Row("POST", "/propositions/{proposition_id}/document", P + "/document", _member_a(422), private_to=ONLY_A),
    Row("GET", "/propositions/{proposition_id}/document", P + "/document", _member_a(OK), private_to=ONLY_A),
    Row(
        "GET",
        "/manage/propositions",
        "/manage/propositions",
        {"anonymous": LOGIN, "coordinator": OK, "administrator": OK},
        private_to=ONLY_A,
    ),
    Row("GET", "/manage/propositions/{proposition_id}", M, {"anonymous": LOGIN}, private_to=ONLY_A),
    Row(
        "POST",
        "/manage/propositions/{proposition_id}/triage",
        M + "/triage",
        {"anonymous": LOGIN},
        data={"step": "decline", "message": "Nee"},
        private_to=ONLY_A,
    ),
    Row(
        "POST",
        "/manage/propositions/{proposition_id}/messages",
        M + "/messages",
        {"anonymous": LOGIN},
        data={"body": "Bericht"},
        private_to=ONLY_A,
    ),
    # The region tags: only those who triage it (nobody in the world); the world's coordinator is unrelated.
    Row(
        "POST",
        "/manage/propositions/{proposition_id}/regions",
        M + "/regions",
        {"anonymous": LOGIN},
        data={"regions": "1"},
        private_to=ONLY_A,
    ),
]


def _admin(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "administrator": status}


R = "/admin/regions/1"  # the first seeded team, ODIN Noord
TEAM = {"key": "noord", "name_nl": "ODIN Noord", "name_en": "ODIN North", "position": "1", "active": "1"}
ROWS += [
    Row("GET", "/admin/regions", "/admin/regions", _admin(OK), private_to=ONLY_A),
    Row(
        "POST",
        "/admin/regions",
        "/admin/regions",
        _admin(REDIRECT),
        data={**TEAM, "key": "matrix", "position": "9"},
        private_to=ONLY_A,
    ),
    Row("GET", "/admin/regions/{region_id}", R, _admin(OK), private_to=ONLY_A),
    Row("POST", "/admin/regions/{region_id}", R, _admin(REDIRECT), data=TEAM, private_to=ONLY_A),
    Row(
        "POST",
        "/admin/regions/{region_id}/members",
        R + "/members",
        _admin(REDIRECT),
        data={"email": "coco@mindef.example"},
        private_to=ONLY_A,
    ),
    # The world's coordinator belongs to no team: there is nobody to remove.
    Row(
        "POST",
        "/admin/regions/{region_id}/members/{user_id}/remove",
        R + "/members/{user_coordinator}/remove",
        {"anonymous": LOGIN},
        private_to=ONLY_A,
    ),
    # A coordinator's NLD-gebieden: administrators only (no areas ticked: the coordinator's are cleared).
    Row(
        "POST",
        "/admin/users/{user_id}/areas",
        "/admin/users/{user_coordinator}/areas",
        _admin(REDIRECT),
        private_to=ONLY_A,
    ),
    Row(
        "GET",
        "/manage/challenges/{slug}/regions",
        "/manage/challenges/{challenge_slug}/regions",
        _admin(OK),
        private_to=ONLY_A,
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/regions",
        "/manage/challenges/{challenge_slug}/regions",
        _admin(REDIRECT),
        data={"regions": "1"},
        private_to=ONLY_A,
    ),
]

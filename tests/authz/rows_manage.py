"""Coordinator routes under /manage: coordinators and administrators only; a challenge only for those who manage it.

In the world the challenge has no coordinator assigned, so the ``coordinator`` actor gets 404 on its pages
while the ``administrator`` manages it; creating a challenge is open to every coordinator.
"""

from __future__ import annotations

from tests.authz.rows import LOGIN, MOVED, OK, REDIRECT, Row
from tests.manage.helpers import form_data

STAFF = {"anonymous": LOGIN, "coordinator": OK, "administrator": OK}
PRIVATE = ("member_a",)
C = "/manage/challenges/{challenge_slug}"
# Old links by numeric id: a permanent redirect for those who manage the challenge, 404 for everyone else.
OLD = "/manage/challenges/{challenge_id}"


def _admin(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "administrator": status}


def _staff(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "coordinator": status, "administrator": status}


ROWS = [
    Row("GET", "/manage", "/manage", STAFF, private_to=PRIVATE),
    Row("GET", "/manage/challenges/new", "/manage/challenges/new", STAFF, private_to=PRIVATE),
    Row(
        "POST",
        "/manage/challenges/new",
        "/manage/challenges/new",
        _staff(REDIRECT),
        data={**form_data(slug="matrix-new"), "action": "save"},
        private_to=PRIVATE,
    ),
    # Without a file the form comes back with the message at the file field.
    Row("POST", "/manage/challenges/upload", "/manage/challenges/upload", _staff(422), private_to=PRIVATE),
    Row("GET", "/manage/challenges/{slug}", C, _admin(OK), private_to=PRIVATE),
    # The world's challenge is already published: publishing again is not a transition in the table.
    Row(
        "POST",
        "/manage/challenges/{slug}/publish",
        C + "/publish",
        _admin(400),
        data={"reason": "Matrix"},
        private_to=PRIVATE,
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/status",
        C + "/status",
        _admin(REDIRECT),
        data={"status_to": "evaluation", "status_reason": "Matrix"},
        private_to=PRIVATE,
        after_deadline=True,  # evaluation starts only after the last deadline
    ),
    Row("GET", "/manage/challenges/{slug}/edit", C + "/edit", _admin(OK), private_to=PRIVATE),
    Row(
        "POST",
        "/manage/challenges/{slug}/edit",
        C + "/edit",
        _admin(OK),
        data={**form_data(), "action": "add:effects"},
        private_to=PRIVATE,
    ),
    Row("GET", "/manage/challenges/{slug}/preview", C + "/preview", _admin(OK), private_to=PRIVATE),
    Row(
        "GET",
        "/manage/challenges/{slug}/definition.toml",
        C + "/definition.toml",
        _admin(OK),
        private_to=PRIVATE,
    ),
    Row("GET", "/manage/challenges/{slug}/extend", C + "/extend", _admin(OK), private_to=PRIVATE),
    Row(
        "POST",
        "/manage/challenges/{slug}/extend",
        C + "/extend",
        _admin(REDIRECT),
        data={"stage": "brief", "deadline": "2027-03-12T12:00", "reason": "Matrix"},
        private_to=PRIVATE,
    ),
    Row(
        "POST",
        "/manage/challenges/{slug}/coordinators",
        C + "/coordinators",
        _admin(REDIRECT),
        data={"email": "coco@mindef.example"},
        private_to=PRIVATE,
    ),
    # Nobody is assigned in the world, so there is nothing to remove.
    Row(
        "POST",
        "/manage/challenges/{slug}/coordinators/{user_id}/remove",
        C + "/coordinators/{user_coordinator}/remove",
        {"anonymous": LOGIN},
        private_to=PRIVATE,
    ),
    *(
        Row("GET", "/manage/challenges/{challenge_id:int}" + page, OLD + page, _admin(MOVED), private_to=PRIVATE)
        for page in ("", "/edit", "/preview", "/definition.toml", "/extend")
    ),
    Row("GET", "/manage/taxonomy", "/manage/taxonomy", _admin(OK), private_to=PRIVATE),
    Row(
        "POST",
        "/manage/taxonomy",
        "/manage/taxonomy",
        _admin(REDIRECT),
        data={"kind": "basis", "key": "matrix-term", "name_nl": "Matrix", "name_en": "Matrix", "position": "1"},
        private_to=PRIVATE,
    ),
    Row("GET", "/manage/taxonomy/{term_id}", "/manage/taxonomy/1", _admin(OK), private_to=PRIVATE),
    # An empty form: the administrator gets the form back with messages.
    Row("POST", "/manage/taxonomy/{term_id}", "/manage/taxonomy/1", _admin(422), private_to=PRIVATE),
]

"""Proposal routes: sealed until the deadline. Only organisation A's members ever see its proposal as a company;
after the deadline administrators (and coordinators assigned to the challenge, which the world's coordinator
is not) read the submitted version. Everyone else gets 404, before and after the deadline.
"""

from __future__ import annotations

from tests.authz.rows import LOGIN, MOVED, OK, REDIRECT, Row
from tests.authz.world import ACTORS

LOGGED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
ONLY_A = ("member_a",)
A_AND_ADMIN = ("member_a", "administrator")
P = "/proposals/{proposal_a}"
STAFF_P = "/manage/challenges/{challenge_slug}/proposals/{proposal_a}"
SUBMIT = {"declarations": ["unclassified", "truthful", "consent"], "submission_key": "matrix"}


def _member_a(status: int | str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "member_a": status}


def _logged_in(status: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, status)}


def _staff_only(**statuses: int) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **statuses}


ROWS = [
    Row("GET", "/challenges/{slug}/apply", "/challenges/{challenge_slug}/apply", _logged_in(OK), private_to=ONLY_A),
    # Nobody in the world acts for an organisation yet: the POST sends everyone back to choose one.
    Row(
        "POST",
        "/challenges/{slug}/apply",
        "/challenges/{challenge_slug}/apply",
        _logged_in(REDIRECT),
        private_to=ONLY_A,
    ),
    Row("GET", "/proposals", "/proposals", _logged_in(OK), private_to=ONLY_A),
    Row("GET", "/proposals/{proposal_id}", P, _member_a(OK), private_to=ONLY_A),
    Row("GET", "/proposals/{proposal_id}", P, _member_a(OK), private_to=ONLY_A, after_deadline=True),
    Row("GET", "/proposals/{proposal_id}/answers", P + "/answers", _member_a(OK), private_to=ONLY_A),
    Row(
        "POST",
        "/proposals/{proposal_id}/answers",
        P + "/answers",
        _member_a(REDIRECT),
        data={"q_summary": "Nieuw", "trl": "5"},
        private_to=ONLY_A,
    ),
    # After the deadline what was typed is kept as the draft, and refused with the deadline shown.
    Row(
        "POST",
        "/proposals/{proposal_id}/answers",
        P + "/answers",
        _member_a(422),
        data={"q_summary": "Te laat", "trl": "5"},
        private_to=ONLY_A,
        after_deadline=True,
    ),
    Row("GET", "/proposals/{proposal_id}/consortium", P + "/consortium", _member_a(OK), private_to=ONLY_A),
    Row(
        "POST",
        "/proposals/{proposal_id}/consortium",
        P + "/consortium",
        _member_a(REDIRECT),
        data={"lead_share": "70", "partner_0_share": "30", "partner_0_role": "Test"},
        private_to=ONLY_A,
    ),
    Row(
        "POST",
        "/proposals/{proposal_id}/consortium/partners",
        P + "/consortium/partners",
        _member_a(REDIRECT),
        data={"partner_kvk_number": "22222222", "partner_role": "Radar"},
        private_to=ONLY_A,
    ),
    Row(
        "POST",
        "/proposals/{proposal_id}/consortium/partners/{index}/remove",
        P + "/consortium/partners/0/remove",
        _member_a(REDIRECT),
        private_to=ONLY_A,
    ),
    Row("GET", "/proposals/{proposal_id}/submit", P + "/submit", _member_a(OK), private_to=ONLY_A),
    Row("POST", "/proposals/{proposal_id}/submit", P + "/submit", _member_a(REDIRECT), data=SUBMIT, private_to=ONLY_A),
    Row(
        "POST",
        "/proposals/{proposal_id}/submit",
        P + "/submit",
        _member_a(422),
        data=SUBMIT,
        private_to=ONLY_A,
        after_deadline=True,
    ),
    Row("GET", "/proposals/{proposal_id}/versions/{number}", P + "/versions/1", _member_a(OK), private_to=ONLY_A),
    Row("GET", "/proposals/{proposal_id}/withdraw", P + "/withdraw", _member_a(OK), private_to=ONLY_A),
    Row("POST", "/proposals/{proposal_id}/withdraw", P + "/withdraw", _member_a(REDIRECT), private_to=ONLY_A),
    Row(
        "POST",
        "/proposals/{proposal_id}/withdraw",
        P + "/withdraw",
        _member_a(422),
        private_to=ONLY_A,
        after_deadline=True,
    ),
    Row("GET", "/proposals/{proposal_id}/reconfirm", P + "/reconfirm", _member_a(OK), private_to=ONLY_A),
    Row(
        "POST",
        "/proposals/{proposal_id}/reconfirm",
        P + "/reconfirm",
        _member_a(REDIRECT),
        data={"submission_key": "matrix-reconfirm"},
        private_to=ONLY_A,
    ),
    Row("GET", "/proposals/{proposal_id}/documents", P + "/documents", _member_a(OK), private_to=ONLY_A),
    # Without a multipart body there is no file: the member is told so; everyone else gets 404.
    Row(
        "POST",
        "/proposals/{proposal_id}/documents/{question_key}",
        P + "/documents/brief",
        _member_a(422),
        private_to=ONLY_A,
    ),
    Row(
        "POST",
        "/proposals/{proposal_id}/documents/{question_key}/remove",
        P + "/documents/brief/remove",
        _member_a(REDIRECT),
        private_to=ONLY_A,
    ),
    Row(
        "POST",
        "/proposals/{proposal_id}/documents/{question_key}/remove",
        P + "/documents/brief/remove",
        _member_a(422),
        private_to=ONLY_A,
        after_deadline=True,
    ),
    Row(
        "GET",
        "/proposals/{proposal_id}/documents/{question_key}",
        P + "/documents/brief",
        _member_a(OK),
        private_to=ONLY_A,
    ),
    Row(
        "GET",
        "/proposals/{proposal_id}/versions/{number}/documents/{question_key}",
        P + "/versions/1/documents/brief",
        _member_a(OK),
        private_to=ONLY_A,
    ),
    Row(
        "GET",
        "/proposals/{proposal_id}/versions/{number}/documents/{question_key}",
        P + "/versions/1/documents/brief",
        _member_a(OK),
        private_to=ONLY_A,
        after_deadline=True,
    ),
    # Staff: counts only before the deadline (the world's coordinator is not assigned to this challenge).
    Row(
        "GET",
        "/manage/challenges/{slug}/proposals",
        "/manage/challenges/{challenge_slug}/proposals",
        _staff_only(administrator=OK),
        private_to=(),
    ),
    Row(
        "GET",
        "/manage/challenges/{slug}/proposals",
        "/manage/challenges/{challenge_slug}/proposals",
        _staff_only(administrator=OK),
        private_to=A_AND_ADMIN,
        after_deadline=True,
    ),
    Row("GET", "/manage/challenges/{slug}/proposals/{proposal_id}", STAFF_P, _staff_only(), private_to=()),
    Row(
        "GET",
        "/manage/challenges/{slug}/proposals/{proposal_id}",
        STAFF_P,
        _staff_only(administrator=OK),
        private_to=A_AND_ADMIN,
        after_deadline=True,
    ),
    Row(
        "GET",
        "/manage/challenges/{slug}/proposals/{proposal_id}/documents/{question_key}",
        STAFF_P + "/documents/brief",
        _staff_only(),
        private_to=(),
    ),
    Row(
        "GET",
        "/manage/challenges/{slug}/proposals/{proposal_id}/documents/{question_key}",
        STAFF_P + "/documents/brief",
        _staff_only(administrator=OK),
        private_to=A_AND_ADMIN,
        after_deadline=True,
    ),
    # Old links by proposal id: a permanent redirect for staff who may read the proposal there, 404 otherwise.
    Row("GET", "/manage/proposals/{proposal_id}", "/manage" + P, _staff_only(), private_to=()),
    Row(
        "GET",
        "/manage/proposals/{proposal_id}",
        "/manage" + P,
        _staff_only(administrator=MOVED),
        private_to=(),
        after_deadline=True,
    ),
    Row(
        "GET",
        "/manage/proposals/{proposal_id}/documents/{question_key}",
        "/manage" + P + "/documents/brief",
        _staff_only(),
        private_to=(),
    ),
    Row(
        "GET",
        "/manage/proposals/{proposal_id}/documents/{question_key}",
        "/manage" + P + "/documents/brief",
        _staff_only(administrator=MOVED),
        private_to=(),
        after_deadline=True,
    ),
]

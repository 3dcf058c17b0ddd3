"""Privacy, archive and retention routes: a member's own data and account, a submitted version's ZIP (organisation
A's members only), a stage's submissions as one ZIP (coordinators of the challenge and administrators, after the
deadline only: sealed before).
"""

from __future__ import annotations

from tests.authz.rows import LOGIN, OK, Row
from tests.authz.world import ACTORS
from tests.factories import DEFAULT_PASSWORD

LOGGED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
ONLY_A = ("member_a",)
P = "/proposals/{proposal_a}"
EXPORT = "/manage/challenges/{slug}/stages/{stage_key}/submissions/archive"
EXPORT_URL = "/manage/challenges/{challenge_slug}/stages/brief/submissions/archive"


def _logged_in(status: int | str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, status)}


ROWS = [
    # Everyone gets their own data only: organisation A's only in member_a's archive.
    Row("POST", "/account/data", "/account/data", _logged_in(OK), private_to=ONLY_A),
    Row("GET", "/account/delete", "/account/delete", _logged_in(OK), private_to=ONLY_A),
    # The portal's only administrator must hand the role over first.
    Row(
        "POST",
        "/account/delete",
        "/account/delete",
        {**_logged_in(OK), "administrator": 422},
        data={"password": DEFAULT_PASSWORD},
        private_to=ONLY_A,
    ),
    Row(
        "GET",
        "/proposals/{proposal_id}/versions/{number}/archive",
        P + "/versions/1/archive",
        {"anonymous": LOGIN, "member_a": OK},
        private_to=ONLY_A,
    ),
    # Sealed before the deadline: 404 for everyone, administrators included.
    Row("POST", EXPORT, EXPORT_URL, {"anonymous": LOGIN}, private_to=()),
    Row(
        "POST",
        EXPORT,
        EXPORT_URL,
        {"anonymous": LOGIN, "administrator": OK},
        private_to=("administrator",),
        after_deadline=True,
    ),
]

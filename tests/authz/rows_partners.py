"""Partner routes: organisation A names Charlie Partner B.V. (registered; ``member_b`` is also its member) as a
partner. Only Charlie's members reach its partner pages; A's own members, staff and everyone else get 404.
Charlie has not answered in the world, so it may not read A's submitted version yet (404 for everyone).
"""

from __future__ import annotations

from tests.authz.rows import LOGIN, OK, REDIRECT, Row
from tests.authz.world import ACTORS

LOGGED_IN = tuple(actor for actor in ACTORS if actor != "anonymous")
# The partner's members see the lead's name and the challenge: A's other secrets are checked in tests/proposals.
LEAD_AND_PARTNER = ("member_a", "member_b")
PS = "/partnerships/{partnership_c}"


def _partner(status: int | str) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "member_b": status}


ROWS = [
    Row(
        "GET",
        "/partnerships",
        "/partnerships",
        {"anonymous": LOGIN, **dict.fromkeys(LOGGED_IN, OK)},
        private_to=LEAD_AND_PARTNER,
    ),
    Row("GET", "/partnerships/{partnership_id}", PS, _partner(OK), private_to=LEAD_AND_PARTNER),
    Row("GET", "/partnerships/{partnership_id}", PS, _partner(OK), private_to=LEAD_AND_PARTNER, after_deadline=True),
    Row(
        "POST", "/partnerships/{partnership_id}/accept", PS + "/accept", _partner(REDIRECT), private_to=LEAD_AND_PARTNER
    ),
    Row(
        "POST",
        "/partnerships/{partnership_id}/decline",
        PS + "/decline",
        _partner(REDIRECT),
        data={"reason": "Wij kennen deze organisatie niet"},
        private_to=LEAD_AND_PARTNER,
    ),
    # After the deadline the answer can no longer change: refused with the deadline shown.
    Row(
        "POST",
        "/partnerships/{partnership_id}/decline",
        PS + "/decline",
        _partner(422),
        data={"reason": "Te laat"},
        private_to=LEAD_AND_PARTNER,
        after_deadline=True,
    ),
    # Not accepted: nothing of the lead's content, for the partner's members either.
    Row("GET", "/partnerships/{partnership_id}/versions/{number}", PS + "/versions/1", {"anonymous": LOGIN}),
    Row(
        "GET",
        "/partnerships/{partnership_id}/versions/{number}/documents/{question_key}",
        PS + "/versions/1/documents/brief",
        {"anonymous": LOGIN},
    ),
    Row(
        "GET",
        "/partnerships/{partnership_id}/versions/{number}/archive",
        PS + "/versions/1/archive",
        {"anonymous": LOGIN},
    ),
]

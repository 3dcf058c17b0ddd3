"""Open data and the archive (public), and the coordinator's publication choice (those who manage the challenge:
in the world only administrators; everyone else logged in gets 404, as for the evaluation overview)."""

from __future__ import annotations

from tests.authz.rows import EVERYONE, LOGIN, OK, REDIRECT, Row

PUBLICATION_ROUTE = "/manage/challenges/{slug}/evaluation/publication"
PUBLICATION = "/manage/challenges/{challenge_slug}/evaluation/publication"

ROWS = [
    Row("GET", "/api/v1/ocds", "/api/v1/ocds", EVERYONE, private_to=()),
    Row("GET", "/api/v1/ocds/{slug}", "/api/v1/ocds/{challenge_slug}", EVERYONE, private_to=()),
    Row("GET", "/archive", "/archive", EVERYONE, private_to=()),
    Row("GET", PUBLICATION_ROUTE, PUBLICATION, {"anonymous": LOGIN, "administrator": OK}, private_to=()),
    Row(
        "POST",
        PUBLICATION_ROUTE,
        PUBLICATION,
        {"anonymous": LOGIN, "administrator": REDIRECT},
        data={"publish": "outcome"},
        private_to=(),
    ),
]

"""The dashboards' figures added with the region filter (organisations new to Defence, propositions per status:
the dashboard only), and the public challenge list filtered by region. Counts only: no response names
organisation A or carries its secrets (its proposition's title included)."""

from __future__ import annotations

from tests.authz.rows import EVERYONE, LOGIN, NOT_FOUND, OK, Row

STAFF = {"anonymous": LOGIN, "coordinator": OK, "administrator": OK}
PORTFOLIO_CSV = "/manage/portfolio/{figure}.csv"
STATISTICS_CSV = "/statistics/{figure}.csv"

ROWS = [
    Row("GET", "/manage/portfolio", "/manage/portfolio?region=zuidwest", STAFF, private_to=(), after_deadline=True),
    Row("GET", PORTFOLIO_CSV, "/manage/portfolio/propositions-by-status.csv", STAFF, private_to=()),
    Row(
        "GET",
        PORTFOLIO_CSV,
        "/manage/portfolio/new-to-defence.csv?region=noord",
        STAFF,
        private_to=(),
        after_deadline=True,
    ),
    Row("GET", STATISTICS_CSV, "/statistics/new-to-defence.csv", EVERYONE, private_to=(), after_deadline=True),
    # Propositions are private: the public statistics have no such figure.
    Row("GET", STATISTICS_CSV, "/statistics/propositions-by-status.csv", {"anonymous": NOT_FOUND}, private_to=()),
    Row("GET", "/", "/?region=zuidwest", EVERYONE, private_to=()),
]

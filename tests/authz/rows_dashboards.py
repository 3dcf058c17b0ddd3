"""The portfolio dashboard and its CSVs (coordinators and administrators; 404 for everyone else logged in, the
login page for anonymous visitors), and the public statistics with their CSVs (everyone). No response names
organisation A or carries its secrets, before or after the deadline."""

from __future__ import annotations

from tests.authz.rows import EVERYONE, LOGIN, OK, Row

STAFF = {"anonymous": LOGIN, "coordinator": OK, "administrator": OK}

ROWS = [
    Row("GET", "/manage/portfolio", "/manage/portfolio", STAFF, private_to=()),
    Row("GET", "/manage/portfolio", "/manage/portfolio?nld=sensoren", STAFF, private_to=(), after_deadline=True),
    Row("GET", "/manage/portfolio/{figure}.csv", "/manage/portfolio/sme-share.csv", STAFF, private_to=()),
    Row(
        "GET",
        "/manage/portfolio/{figure}.csv",
        "/manage/portfolio/trl.csv",
        STAFF,
        private_to=(),
        after_deadline=True,
    ),
    Row("GET", "/statistics", "/statistics", EVERYONE, private_to=()),
    Row("GET", "/statistics", "/statistics", EVERYONE, private_to=(), after_deadline=True),
    Row("GET", "/statistics/{figure}.csv", "/statistics/consortium-share.csv", EVERYONE, private_to=()),
]

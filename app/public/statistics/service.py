"""What the public statistics show: the portfolio figures of challenges whose last deadline has passed, no
figure computed from fewer than three organisations and no count below three (``suppress_small_cells``), and
nothing that names a company.

Served through the page cache, so everything here must change only with what the page cache watches (see
``app.public.cache``): a challenge's status, stages and deadlines (a deadline passing turns the page by the
clock), and the release of decisions (an audit event that bumps the public version). Proposals cannot change
after their deadline, and evaluation figures count only released decisions, which nothing changes afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.evaluations.portfolio import queries
from app.evaluations.portfolio.figures import Figure, suppress_small_cells
from app.evaluations.portfolio.filters import Filters
from app.evaluations.portfolio.queries import FigureQuery

PUBLIC_FIGURES: dict[str, FigureQuery] = {
    key: queries.FIGURES[key]
    for key in (
        "challenges-by-status",
        "proposals",
        "sme-share",
        "new-to-defence",
        "consortium-share",
        "consortium-sizes",
        "trl",
        "time-to-decision",
    )
}


def _public(now: datetime) -> Filters:
    return Filters(now=now, public=True)


def list_statistics(session: Session, *, now: datetime) -> list[Figure]:
    """Every public figure, small cells withheld."""
    filters = _public(now)
    return [suppress_small_cells(query(session, filters)) for query in PUBLIC_FIGURES.values()]


def get_statistic(session: Session, *, key: str, now: datetime) -> Figure:
    """One public figure by its key (its CSV); NotFound for any other key."""
    query = PUBLIC_FIGURES.get(key)
    if query is None:
        raise NotFound()
    return suppress_small_cells(query(session, _public(now)))

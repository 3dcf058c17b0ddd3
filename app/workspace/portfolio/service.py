"""The coordinators' portfolio dashboard: which figures it shows, in order, and the filter choices.

A figure from a domain the dashboard may import (propositions by status, organisations new to Defence) is one
function ``(session, filters) -> Figure`` added to ``DASHBOARD_FIGURES``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.challenges import service as challenge_service
from app.challenges.enums import TaxonomyKind
from app.challenges.models import TaxonomyTerm
from app.errors import FieldError, NotFound
from app.evaluations.portfolio import queries
from app.evaluations.portfolio.figures import Figure
from app.evaluations.portfolio.filters import Filters, parse_filters
from app.evaluations.portfolio.queries import FigureQuery

DASHBOARD_FIGURES: dict[str, FigureQuery] = dict(queries.FIGURES)


def list_nld_terms(session: Session) -> list[TaxonomyTerm]:
    return challenge_service.list_taxonomy(session, kind=TaxonomyKind.NLD)


def read_filters(session: Session, *, values: dict[str, str], now: datetime) -> tuple[Filters, list[FieldError]]:
    """The dashboard's filters from its query string, with a message per field that was not understood."""
    keys = {term.key for term in list_nld_terms(session)}
    return parse_filters(values, nld_keys=keys, now=now)


def dashboard_figures(session: Session, *, filters: Filters) -> list[Figure]:
    """Every figure of the dashboard, in order."""
    return [query(session, filters) for query in DASHBOARD_FIGURES.values()]


def dashboard_figure(session: Session, *, key: str, filters: Filters) -> Figure:
    """One figure by its key (its CSV); NotFound for a key the dashboard does not have."""
    query = DASHBOARD_FIGURES.get(key)
    if query is None:
        raise NotFound()
    return query(session, filters)

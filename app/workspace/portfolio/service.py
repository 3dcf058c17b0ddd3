"""The coordinators' portfolio dashboard: which figures it shows, in order, and the filter choices.

A figure from a domain the dashboard may import is one function ``(session, filters) -> Figure`` added to
``DASHBOARD_FIGURES``: propositions by status is one (dashboard only: propositions are private). Propositions
answer no challenge, so their filters apply to the proposition itself: its NLD-gebied, its region tags (one tag
matching is enough, and a proposition counts once), and the day it was sent for the period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.challenges import service as challenge_service
from app.challenges.enums import TaxonomyKind
from app.errors import FieldError, NotFound
from app.evaluations.portfolio import queries
from app.evaluations.portfolio.figures import Figure, Series
from app.evaluations.portfolio.filters import Filters, parse_filters
from app.evaluations.portfolio.queries import FigureQuery
from app.i18n import N_
from app.organisations.regions import service as region_service
from app.proposals.propositions.enums import PROPOSITION_MACHINE, PropositionStatus
from app.proposals.propositions.queries import count_propositions_by_status


def propositions_by_status(session: Session, filters: Filters) -> Figure:
    counts = count_propositions_by_status(
        session,
        nld_area=filters.nld,
        region=filters.region,
        since=filters.published_since,
        until=filters.published_before,
    )
    return Figure(
        key="propositions-by-status",
        title=N_("Propositions per status"),
        description=N_(
            "Propositions without a challenge in each status, by their NLD-gebied, their regional teams (one of "
            "its teams matching is enough) and the day they were sent."
        ),
        category_header=N_("Status"),
        categories=tuple(PROPOSITION_MACHINE.label(s) for s in PropositionStatus),
        translate_categories=True,
        series=(Series(N_("Propositions"), tuple(float(counts[s.value]) for s in PropositionStatus)),),
    )


DASHBOARD_FIGURES: dict[str, FigureQuery] = {**queries.FIGURES, "propositions-by-status": propositions_by_status}


@dataclass(frozen=True)
class Choice:
    """A choice filter of the form: its name (a field of ``Filters``), label (msgid), label of "all", options."""

    name: str
    label: str
    everything: str
    options: list[tuple[str, str]]  # key, label in the language asked for


def _nld(session: Session, language: str) -> Choice:
    terms = challenge_service.list_taxonomy(session, kind=TaxonomyKind.NLD)
    return Choice("nld", N_("NLD-gebied"), N_("All NLD-gebieden"), [(t.key, t.name(language)) for t in terms])


def _region(session: Session, language: str) -> Choice:
    """Every regional team, retired ones too: challenges may still carry them."""
    regions = region_service.list_regions(session)
    return Choice("region", N_("Regional team"), N_("All regional teams"), [(r.key, r.name(language)) for r in regions])


# The form's choice filters in order.
CHOICE_FILTERS: tuple[Callable[[Session, str], Choice], ...] = (_nld, _region)


def list_choices(session: Session, *, language: str) -> list[Choice]:
    return [choice(session, language) for choice in CHOICE_FILTERS]


def read_filters(session: Session, *, values: dict[str, str], now: datetime) -> tuple[Filters, list[FieldError]]:
    """The dashboard's filters from its query string, with a message per field that was not understood."""
    keys = {choice.name: {key for key, _ in choice.options} for choice in list_choices(session, language="en")}
    return parse_filters(values, choices=keys, now=now)


def dashboard_figures(session: Session, *, filters: Filters) -> list[Figure]:
    """Every figure of the dashboard, in order."""
    return [query(session, filters) for query in DASHBOARD_FIGURES.values()]


def dashboard_figure(session: Session, *, key: str, filters: Filters) -> Figure:
    """One figure by its key (its CSV); NotFound for a key the dashboard does not have."""
    query = DASHBOARD_FIGURES.get(key)
    if query is None:
        raise NotFound()
    return query(session, filters)

"""Figures of propositions for the dashboards: counts by status, filtered by NLD-gebied, region and period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.challenges.enums import TaxonomyKind
from app.challenges.models import TaxonomyTerm
from app.organisations.regions.models import Region
from app.proposals.propositions.enums import PropositionStatus
from app.proposals.propositions.models import Proposition, PropositionRegion


def count_propositions_by_status(
    session: Session,
    *,
    nld_area: str | int | None = None,
    region: str | int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """Propositions per status (every status present, zero included), sent in ``[since, until)``.

    ``nld_area`` is a taxonomy key or term id; ``region`` a region key or id: a proposition counts when any of its
    region tags is that team (each proposition once, however many tags match).
    """
    query = select(Proposition.status, func.count()).group_by(Proposition.status)
    if isinstance(nld_area, int):
        query = query.where(Proposition.nld_term_id == nld_area)
    elif nld_area is not None:
        query = query.join(TaxonomyTerm, TaxonomyTerm.id == Proposition.nld_term_id).where(
            TaxonomyTerm.kind == TaxonomyKind.NLD.value, TaxonomyTerm.key == nld_area
        )
    if region is not None:
        tagged = select(PropositionRegion.proposition_id).where(PropositionRegion.proposition_id == Proposition.id)
        if isinstance(region, int):
            tagged = tagged.where(PropositionRegion.region_id == region)
        else:
            tagged = tagged.join(Region, Region.id == PropositionRegion.region_id).where(Region.key == region)
        query = query.where(exists(tagged))
    if since is not None:
        query = query.where(Proposition.submitted_at >= since)
    if until is not None:
        query = query.where(Proposition.submitted_at < until)
    counts = dict.fromkeys((status.value for status in PropositionStatus), 0)
    for status, count in session.execute(query):
        counts[status] = count
    return counts

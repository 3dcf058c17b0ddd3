"""Figures of propositions for the dashboards: counts by status, filtered by NLD-gebied, region and period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.challenges.enums import TaxonomyKind
from app.challenges.models import TaxonomyTerm
from app.organisations.regions.models import Region
from app.proposals.propositions.enums import PropositionStatus
from app.proposals.propositions.models import Proposition


def count_propositions_by_status(
    session: Session,
    *,
    nld_area: str | int | None = None,
    region: str | int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """Propositions per status (every status present, zero included), sent in ``[since, until)``.

    ``nld_area`` is a taxonomy key or term id; ``region`` a region key or id (the organisation's team when the
    proposition was sent).
    """
    query = select(Proposition.status, func.count()).group_by(Proposition.status)
    if isinstance(nld_area, int):
        query = query.where(Proposition.nld_term_id == nld_area)
    elif nld_area is not None:
        query = query.join(TaxonomyTerm, TaxonomyTerm.id == Proposition.nld_term_id).where(
            TaxonomyTerm.kind == TaxonomyKind.NLD.value, TaxonomyTerm.key == nld_area
        )
    if isinstance(region, int):
        query = query.where(Proposition.region_id == region)
    elif region is not None:
        query = query.join(Region, Region.id == Proposition.region_id).where(Region.key == region)
    if since is not None:
        query = query.where(Proposition.submitted_at >= since)
    if until is not None:
        query = query.where(Proposition.submitted_at < until)
    counts = dict.fromkeys((status.value for status in PropositionStatus), 0)
    for status, count in session.execute(query):
        counts[status] = count
    return counts

"""The figures the dashboards read: propositions per status by NLD-gebied, region tags and period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges.models import TaxonomyTerm
from app.proposals.propositions.models import Proposition, PropositionRegion
from app.proposals.propositions.queries import count_propositions_by_status
from tests.propositions.helpers import company_in, region

T0 = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def _term(session: Session, key: str) -> int:
    return session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.kind == "nld", TaxonomyTerm.key == key)).one()


def _add(
    session: Session,
    organisation_id: int,
    *,
    area: str,
    region_id: int | None,
    status: str,
    days: int,
    tags: tuple[int, ...] | None = None,
) -> None:
    """A proposition sent from ``region_id``, tagged with ``tags`` (by default that team, as sending does)."""
    proposition = Proposition(
        organisation_id=organisation_id,
        title="t",
        effect="e",
        nld_term_id=_term(session, area),
        region_id=region_id,
        trl=3,
        description="d",
        status=status,
        submitted_at=T0 + timedelta(days=days),
    )
    session.add(proposition)
    session.flush()
    chosen = tags if tags is not None else ((region_id,) if region_id is not None else ())
    session.add_all([PropositionRegion(proposition_id=proposition.id, region_id=tag) for tag in chosen])
    session.commit()


def test_count_propositions_by_status_filters(session: Session) -> None:
    _, organisation = company_in(session, email="a@x.example", name="X B.V.", kvk="12121212", province="NL-ZH", at=T0)
    zw, noord, oost = region(session, "zuidwest").id, region(session, "noord").id, region(session, "oost").id
    _add(session, organisation.id, area="quantum", region_id=zw, status="submitted", days=0)
    _add(session, organisation.id, area="quantum", region_id=zw, status="declined", days=1)
    _add(session, organisation.id, area="sensoren", region_id=noord, status="declined", days=5)
    _add(session, organisation.id, area="sensoren", region_id=None, status="watched", days=9)
    # Tagged with two teams: counted under each, once in the totals.
    _add(session, organisation.id, area="sensoren", region_id=noord, status="referred", days=3, tags=(noord, zw))
    # Sent from Oost, its tag removed since: Oost no longer counts it.
    _add(session, organisation.id, area="quantum", region_id=oost, status="routed", days=20, tags=())
    empty = {"submitted": 0, "referred": 0, "routed": 0, "watched": 0, "declined": 0}
    every = {"submitted": 1, "referred": 1, "routed": 1, "watched": 1, "declined": 2}
    assert count_propositions_by_status(session) == every
    assert count_propositions_by_status(session, nld_area="quantum") == {
        **empty,
        "submitted": 1,
        "declined": 1,
        "routed": 1,
    }
    assert count_propositions_by_status(session, nld_area=_term(session, "sensoren")) == {
        **empty,
        "declined": 1,
        "watched": 1,
        "referred": 1,
    }
    assert count_propositions_by_status(session, region="noord") == {**empty, "declined": 1, "referred": 1}
    assert count_propositions_by_status(session, region="zuidwest") == {
        **empty,
        "submitted": 1,
        "declined": 1,
        "referred": 1,
    }
    assert count_propositions_by_status(session, region=zw, nld_area="quantum") == {
        **empty,
        "submitted": 1,
        "declined": 1,
    }
    assert count_propositions_by_status(session, region=zw, nld_area="sensoren") == {**empty, "referred": 1}
    assert count_propositions_by_status(session, region="oost") == empty
    assert count_propositions_by_status(session, region=oost) == empty
    window = {"since": T0 + timedelta(days=1), "until": T0 + timedelta(days=9)}
    assert count_propositions_by_status(session, **window) == {**empty, "declined": 2, "referred": 1}
    assert count_propositions_by_status(session, nld_area="ruimtevaart") == empty

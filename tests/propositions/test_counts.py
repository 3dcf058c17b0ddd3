"""The figures the dashboards read: propositions per status by NLD-gebied, region and period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges.models import TaxonomyTerm
from app.proposals.propositions.models import Proposition
from app.proposals.propositions.queries import count_propositions_by_status
from tests.propositions.helpers import company_in, region

T0 = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def _term(session: Session, key: str) -> int:
    return session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.kind == "nld", TaxonomyTerm.key == key)).one()


def _add(session: Session, organisation_id: int, *, area: str, region_id: int | None, status: str, days: int) -> None:
    session.add(
        Proposition(
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
    )
    session.commit()


def test_count_propositions_by_status_filters(session: Session) -> None:
    _, organisation = company_in(session, email="a@x.example", name="X B.V.", kvk="12121212", province="NL-ZH", at=T0)
    zw, noord = region(session, "zuidwest").id, region(session, "noord").id
    _add(session, organisation.id, area="quantum", region_id=zw, status="submitted", days=0)
    _add(session, organisation.id, area="quantum", region_id=zw, status="declined", days=1)
    _add(session, organisation.id, area="sensoren", region_id=noord, status="declined", days=5)
    _add(session, organisation.id, area="sensoren", region_id=None, status="watched", days=9)
    empty = {"submitted": 0, "referred": 0, "routed": 0, "watched": 0, "declined": 0}
    assert count_propositions_by_status(session) == {**empty, "submitted": 1, "declined": 2, "watched": 1}
    assert count_propositions_by_status(session, nld_area="quantum") == {**empty, "submitted": 1, "declined": 1}
    assert count_propositions_by_status(session, nld_area=_term(session, "sensoren")) == {
        **empty,
        "declined": 1,
        "watched": 1,
    }
    assert count_propositions_by_status(session, region="noord") == {**empty, "declined": 1}
    assert count_propositions_by_status(session, region=zw, nld_area="quantum") == {
        **empty,
        "submitted": 1,
        "declined": 1,
    }
    window = {"since": T0 + timedelta(days=1), "until": T0 + timedelta(days=9)}
    assert count_propositions_by_status(session, **window) == {**empty, "declined": 2}
    assert count_propositions_by_status(session, nld_area="ruimtevaart") == empty

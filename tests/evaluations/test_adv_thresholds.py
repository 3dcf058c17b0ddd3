"""The ADV thresholds: the 2026-2027 period is configured by default, and when no threshold is valid on the day
coordinators and administrators are warned on their dashboards, not only inside the route advice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations.route import rules as route
from app.evaluations.route import service as route_service
from app.settings import Settings
from tests.factories import create_user, log_in

TODAY = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
EXPIRED = datetime(2028, 1, 5, 9, 0, tzinfo=UTC)
WARNING = 'id="adv-threshold-warning"'


def test_default_thresholds_hold_the_2026_2027_period() -> None:
    periods = Settings().adv_threshold_periods()
    assert (432000, date(2026, 1, 1), date(2027, 12, 31)) in periods
    thresholds = route_service.adv_thresholds(periods)
    assert route.threshold_on(thresholds, date(2026, 12, 3)) == route.AdvThreshold(
        432000, date(2026, 1, 1), date(2027, 12, 31)
    )
    assert route.threshold_on(thresholds, date(2025, 12, 31)) == route.AdvThreshold(
        443000, date(2024, 1, 1), date(2025, 12, 31)
    )


def test_day_without_threshold_is_none_today_and_the_day_after_the_last_period() -> None:
    periods = Settings().adv_threshold_periods()
    assert route_service.day_without_threshold(periods, now=TODAY) is None
    assert route_service.day_without_threshold(periods, now=datetime(2027, 12, 31, 22, 59, tzinfo=UTC)) is None
    # 23:00 UTC on 31 December is already 1 January in Amsterdam.
    assert route_service.day_without_threshold(periods, now=datetime(2027, 12, 31, 23, 0, tzinfo=UTC)) == date(
        2028, 1, 1
    )
    assert route_service.day_without_threshold(periods, now=EXPIRED) == date(2028, 1, 5)


@pytest.mark.parametrize(("role", "url"), [("coordinator", "/manage"), ("administrator", "/admin/users")])
def test_dashboard_has_no_threshold_warning_today(
    client: TestClient, session: Session, clock: FrozenClock, role: str, url: str
) -> None:
    clock.set(TODAY)
    log_in(client, session, create_user(session, email="staff@mindef.example", roles=(role,)), now=clock.now())
    page = client.get(url)
    assert page.status_code == 200
    assert WARNING not in page.text
    assert "ADV-drempelwaarde" not in page.text


@pytest.mark.parametrize(("role", "url"), [("coordinator", "/manage"), ("administrator", "/admin/users")])
def test_dashboard_warns_when_no_threshold_is_valid(
    client: TestClient, session: Session, clock: FrozenClock, role: str, url: str
) -> None:
    clock.set(EXPIRED)
    log_in(client, session, create_user(session, email="staff@mindef.example", roles=(role,)), now=clock.now())
    page = client.get(url)
    assert page.status_code == 200
    assert WARNING in page.text
    assert "Er geldt vandaag (05-01-2028) geen ADV-drempelwaarde." in page.text
    client.cookies.set("portal_lang", "en")
    english = client.get(url)
    assert "No ADV threshold is valid today (05-01-2028)." in english.text


def test_a_new_period_in_the_settings_ends_the_warning(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    clock.set(EXPIRED)
    log_in(client, session, create_user(session, email="coco@mindef.example", roles=("coordinator",)), now=clock.now())
    client.app.state.settings.adv_thresholds = "432000:2026-01-01:2027-12-31,440000:2028-01-01:2029-12-31"  # type: ignore[attr-defined]
    page = client.get("/manage")
    assert page.status_code == 200
    assert WARNING not in page.text

"""Settings that are parsed beyond their type: the ADV thresholds with their validity periods."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_adv_thresholds_are_read_with_their_periods() -> None:
    settings = Settings(adv_thresholds="443000:2024-01-01:2025-12-31, 432000:2026-01-01:")
    assert settings.adv_threshold_periods() == [
        (443000, date(2024, 1, 1), date(2025, 12, 31)),
        (432000, date(2026, 1, 1), None),
    ]


@pytest.mark.parametrize("value", ["443000", "lots:2024-01-01:2025-12-31", "443000:2024-13-01:"])
def test_unreadable_adv_thresholds_stop_the_start(value: str) -> None:
    with pytest.raises(ValidationError, match="euros:YYYY-MM-DD:YYYY-MM-DD"):
        Settings(adv_thresholds=value)

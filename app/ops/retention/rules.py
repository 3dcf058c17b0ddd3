"""When a closed challenge's documents may go: its last deadline plus the retention period, in calendar years."""

from __future__ import annotations

from datetime import datetime


def add_years(moment: datetime, years: int) -> datetime:
    """The same day and time ``years`` later; 29 February becomes 28 February in a year without it."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def expires_at(last_deadline: datetime, years: int) -> datetime:
    return add_years(last_deadline, years)

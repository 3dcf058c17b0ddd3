"""When a page rendered at one moment may read differently: pure time arithmetic, no database.

The public pages depend on the clock only through a stage's times: the phase (upcoming, open, closed) and the
question period change at a stage's ``opens_at``, ``deadline_at`` and ``question_deadline_at``; the remaining time
("3 days left", "2 hours left", "5 minutes left") changes whenever the time to a deadline crosses a whole minute,
that is at ``deadline - k minutes``. A page rendered at ``now`` therefore reads the same until the first such
moment after it, and at the latest until the next whole minute of the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)


def valid_until(now: datetime, instants: Iterable[datetime]) -> datetime:
    """The first moment after ``now`` at which a page rendered at ``now`` may change: the next whole minute, or
    the next ``t - k minutes`` (k = 0, 1, ...) of any stage time ``t`` still ahead, whichever comes first."""
    end = now.replace(second=0, microsecond=0) + MINUTE
    for instant in instants:
        if instant > now:
            candidate = now + ((instant - now) % MINUTE or MINUTE)
            if candidate < end:
                end = candidate
    return end


def parse_instant(value: object) -> datetime | None:
    """A timestamp as a database driver returns it: an aware datetime (PostgreSQL), or the naive UTC text that
    SQLite keeps."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

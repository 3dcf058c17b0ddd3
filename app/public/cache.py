"""What the page cache keeps of the public site, and what it reads to know whether a kept page still holds.

Kept: the challenge list ``/``, a challenge page ``/challenges/{slug}``, its market-dialogue events
(``/challenges/{slug}/events`` and ``/challenges/{slug}/events/{id}``; their tables are watched by migration 0032),
a statement ``/statements/{kind}`` (its table watched by migration 0029), the public API (``/api/v1/challenges`` and
``/api/v1/challenges/{slug}``), and the statistics (``/statistics`` and its CSVs), for visitors without a session.
Everything these pages
show comes from the tables that migration 0025 watches (a trigger bumps ``public_version`` in the same transaction
as any change to them, and with the release of decisions), and from the clock only through the stages' times. The
statistics read proposals and evaluations too, but only of challenges whose deadline has passed and, for the
evaluation, of released decisions: nothing of those changes afterwards (``app.public.statistics.service``).
"""

from __future__ import annotations

import re

from app.pagecache import ContentWatch

CACHED_PATHS = re.compile(
    r"/|/archive|/challenges/[^/]+(/events(/[0-9]+)?)?|/statements/[^/]+|/api/v1/challenges(/[^/]+)?"
    r"|/statistics(/[^/]+\.csv)?"
)

# Plain SQL for a connection of its own (``Database.reader``): ``PublicVersion`` and ``ChallengeStage``'s tables.
VERSION_SQL = "SELECT version FROM public_version WHERE id = 1"
# The version and every stage time in one statement, so both come from the same moment; with the market-dialogue
# events' times (registration closes, the event starts and ends).
TIMELINE_SQL = (
    "SELECT v.version, s.opens_at, s.deadline_at, s.question_deadline_at "
    "FROM public_version v LEFT OUTER JOIN challenge_stage s ON 1 = 1 WHERE v.id = 1 "
    "UNION ALL SELECT v.version, e.registration_deadline_at, e.starts_at, e.ends_at "
    "FROM public_version v JOIN market_event e ON 1 = 1 WHERE v.id = 1"
)


def content_watch() -> ContentWatch:
    return ContentWatch(version_sql=VERSION_SQL, timeline_sql=TIMELINE_SQL)

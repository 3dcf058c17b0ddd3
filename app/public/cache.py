"""What the page cache keeps of the public site, and what it reads to know whether a kept page still holds.

Kept: the challenge list ``/``, a challenge page ``/challenges/{slug}``, a statement ``/statements/{kind}`` and the
public API (``/api/v1/challenges`` and ``/api/v1/challenges/{slug}``), for visitors without a session. Everything
these pages show comes from the tables that migrations 0025 and 0029 watch (a trigger bumps ``public_version`` in the same transaction
as any change to them), and from the clock only through the stages' times.
"""

from __future__ import annotations

import re

from app.pagecache import ContentWatch

CACHED_PATHS = re.compile(r"/|/challenges/[^/]+|/statements/[^/]+|/api/v1/challenges(/[^/]+)?")

# Plain SQL for a connection of its own (``Database.reader``): ``PublicVersion`` and ``ChallengeStage``'s tables.
VERSION_SQL = "SELECT version FROM public_version WHERE id = 1"
# The version and every stage time in one statement, so both come from the same moment.
TIMELINE_SQL = (
    "SELECT v.version, s.opens_at, s.deadline_at, s.question_deadline_at "
    "FROM public_version v LEFT OUTER JOIN challenge_stage s ON 1 = 1 WHERE v.id = 1"
)


def content_watch() -> ContentWatch:
    return ContentWatch(version_sql=VERSION_SQL, timeline_sql=TIMELINE_SQL)

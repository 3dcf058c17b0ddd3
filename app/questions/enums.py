"""Kinds and statuses of entries in a Nota van Inlichtingen, and the allowed changes of status."""

from __future__ import annotations

from enum import StrEnum


class EntryKind(StrEnum):
    QUESTION = "question"  # asked by a company user, answered by a coordinator
    ANNOUNCEMENT = "announcement"  # a coordinator's notice: a correction, an extension


class EntryStatus(StrEnum):
    RECEIVED = "received"  # asked, not (fully) answered yet
    ANSWERED = "answered"  # question and answer complete in both languages, not yet approved
    APPROVED = "approved"  # marked for publication: the next publication takes it
    PUBLISHED = "published"  # in a Nota version; never changes again


ALLOWED_TRANSITIONS: dict[EntryStatus, frozenset[EntryStatus]] = {
    EntryStatus.RECEIVED: frozenset({EntryStatus.RECEIVED, EntryStatus.ANSWERED, EntryStatus.APPROVED}),
    EntryStatus.ANSWERED: frozenset({EntryStatus.RECEIVED, EntryStatus.ANSWERED, EntryStatus.APPROVED}),
    # Editing an approved entry takes it back to "answered": it must be approved again.
    EntryStatus.APPROVED: frozenset(
        {EntryStatus.RECEIVED, EntryStatus.ANSWERED, EntryStatus.APPROVED, EntryStatus.PUBLISHED}
    ),
    EntryStatus.PUBLISHED: frozenset(),
}

# Not yet published: what the coordinator's inbox and dashboard count as open.
OPEN_STATUSES = frozenset({EntryStatus.RECEIVED, EntryStatus.ANSWERED, EntryStatus.APPROVED})

# Sections a question may concern, besides one per stage ("stage:<key>").
FIXED_SECTIONS = ("problem", "effects", "eligibility", "criteria", "other")
STAGE_SECTION_PREFIX = "stage:"

"""Kinds and statuses of entries in a Nota van Inlichtingen, and the allowed changes of status."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class EntryKind(StrEnum):
    QUESTION = "question"  # asked by a company user, answered by a coordinator
    ANNOUNCEMENT = "announcement"  # a coordinator's notice: a correction, an extension


class EntryStatus(StrEnum):
    RECEIVED = "received"  # asked, not (fully) answered yet
    ANSWERED = "answered"  # question and answer complete in both languages, not yet approved
    APPROVED = "approved"  # marked for publication: the next publication takes it
    PUBLISHED = "published"  # in a Nota version; never changes again


# The one way an entry changes status (``ENTRY_MACHINE.move``); labels are msgids, translated where shown.
ENTRY_MACHINE: StateMachine[EntryStatus] = StateMachine(
    name="nota_entry",
    states=EntryStatus,
    transitions={
        EntryStatus.RECEIVED: frozenset({EntryStatus.RECEIVED, EntryStatus.ANSWERED, EntryStatus.APPROVED}),
        EntryStatus.ANSWERED: frozenset({EntryStatus.RECEIVED, EntryStatus.ANSWERED, EntryStatus.APPROVED}),
        # Editing an approved entry takes it back to "answered": it must be approved again.
        EntryStatus.APPROVED: frozenset(
            {EntryStatus.RECEIVED, EntryStatus.ANSWERED, EntryStatus.APPROVED, EntryStatus.PUBLISHED}
        ),
        EntryStatus.PUBLISHED: frozenset(),
    },
    labels={
        EntryStatus.RECEIVED: N_("Received"),
        EntryStatus.ANSWERED: N_("Answered, not yet published"),
        EntryStatus.APPROVED: N_("Marked for publication"),
        EntryStatus.PUBLISHED: N_("Answered and published"),
    },
    classes={
        EntryStatus.RECEIVED: "badge-upcoming",
        EntryStatus.ANSWERED: "badge-upcoming",
        EntryStatus.APPROVED: "badge-open",
        EntryStatus.PUBLISHED: "badge-closed",
    },
)

# Not yet published: what the coordinator's inbox and dashboard count as open.
OPEN_STATUSES = frozenset({EntryStatus.RECEIVED, EntryStatus.ANSWERED, EntryStatus.APPROVED})

# Sections a question may concern, besides one per stage ("stage:<key>").
FIXED_SECTIONS = ("problem", "effects", "eligibility", "criteria", "other")
STAGE_SECTION_PREFIX = "stage:"

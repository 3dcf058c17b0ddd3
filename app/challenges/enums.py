"""Challenge statuses, their state machine (allowed transitions, labels, badges), and the field types of a
definition."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class ChallengeStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    EVALUATION = "evaluation"
    DECIDED = "decided"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


# The one way a challenge changes status (``CHALLENGE_MACHINE.move``); labels are msgids, translated where shown.
CHALLENGE_MACHINE: StateMachine[ChallengeStatus] = StateMachine(
    name="challenge",
    states=ChallengeStatus,
    transitions={
        ChallengeStatus.DRAFT: frozenset({ChallengeStatus.PUBLISHED, ChallengeStatus.CANCELLED}),
        ChallengeStatus.PUBLISHED: frozenset({ChallengeStatus.EVALUATION, ChallengeStatus.CANCELLED}),
        ChallengeStatus.EVALUATION: frozenset({ChallengeStatus.DECIDED, ChallengeStatus.CANCELLED}),
        ChallengeStatus.DECIDED: frozenset({ChallengeStatus.ARCHIVED}),
        ChallengeStatus.ARCHIVED: frozenset(),
        ChallengeStatus.CANCELLED: frozenset({ChallengeStatus.ARCHIVED}),
    },
    labels={
        ChallengeStatus.DRAFT: N_("Draft"),
        ChallengeStatus.PUBLISHED: N_("Published"),
        ChallengeStatus.EVALUATION: N_("Evaluation"),
        ChallengeStatus.DECIDED: N_("Decided"),
        ChallengeStatus.ARCHIVED: N_("Archived"),
        ChallengeStatus.CANCELLED: N_("Cancelled"),
    },
    classes={
        ChallengeStatus.DRAFT: "badge-upcoming",
        ChallengeStatus.PUBLISHED: "badge-open",
        ChallengeStatus.EVALUATION: "badge-upcoming",
        ChallengeStatus.DECIDED: "badge-closed",
        ChallengeStatus.ARCHIVED: "badge-closed",
        ChallengeStatus.CANCELLED: "badge-closed",
    },
)

# Statuses in which a challenge is visible to the public.
# Archived ones stay public: the archive page keeps closed and cancelled challenges findable.
PUBLIC_STATUSES = frozenset(
    {
        ChallengeStatus.PUBLISHED,
        ChallengeStatus.EVALUATION,
        ChallengeStatus.DECIDED,
        ChallengeStatus.CANCELLED,
        ChallengeStatus.ARCHIVED,
    }
)


class Phase(StrEnum):
    """Where a public challenge stands for an applicant, derived from its stages and the clock."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


# A phase's label (a msgid, translated where shown) and badge: templates take them from here, like statuses.
PHASE_LABELS: dict[Phase, str] = {Phase.UPCOMING: N_("Upcoming"), Phase.OPEN: N_("Open"), Phase.CLOSED: N_("Closed")}
PHASE_CLASSES: dict[Phase, str] = {
    Phase.UPCOMING: "badge-upcoming",
    Phase.OPEN: "badge-open",
    Phase.CLOSED: "badge-closed",
}


class QuestionType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    DATE = "date"
    DOCUMENT = "document"


class DocumentType(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    PNG = "png"
    JPEG = "jpeg"


class TaxonomyKind(StrEnum):
    NLD = "nld"
    BASIS = "basis"
    PROGRAMME = "programme"  # other programmes a proposition without a challenge can be routed to

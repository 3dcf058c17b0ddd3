"""Challenge statuses, the allowed transitions between them, and the field types of a definition."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_


class ChallengeStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    EVALUATION = "evaluation"
    DECIDED = "decided"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


ALLOWED_TRANSITIONS: dict[ChallengeStatus, frozenset[ChallengeStatus]] = {
    ChallengeStatus.DRAFT: frozenset({ChallengeStatus.PUBLISHED, ChallengeStatus.CANCELLED}),
    ChallengeStatus.PUBLISHED: frozenset({ChallengeStatus.EVALUATION, ChallengeStatus.CANCELLED}),
    ChallengeStatus.EVALUATION: frozenset({ChallengeStatus.DECIDED, ChallengeStatus.CANCELLED}),
    ChallengeStatus.DECIDED: frozenset({ChallengeStatus.ARCHIVED}),
    ChallengeStatus.ARCHIVED: frozenset(),
    ChallengeStatus.CANCELLED: frozenset({ChallengeStatus.ARCHIVED}),
}

# Statuses in which a challenge is visible to the public.
PUBLIC_STATUSES = frozenset(
    {ChallengeStatus.PUBLISHED, ChallengeStatus.EVALUATION, ChallengeStatus.DECIDED, ChallengeStatus.CANCELLED}
)


class Phase(StrEnum):
    """Where a public challenge stands for an applicant, derived from its stages and the clock."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


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
    PNG = "png"
    JPEG = "jpeg"


class TaxonomyKind(StrEnum):
    NLD = "nld"
    BASIS = "basis"


# How a status is named on the coordinator pages (msgids; translated where shown).
STATUS_LABELS: dict[str, str] = {
    ChallengeStatus.DRAFT.value: N_("Draft"),
    ChallengeStatus.PUBLISHED.value: N_("Published"),
    ChallengeStatus.EVALUATION.value: N_("Evaluation"),
    ChallengeStatus.DECIDED.value: N_("Decided"),
    ChallengeStatus.ARCHIVED.value: N_("Archived"),
    ChallengeStatus.CANCELLED.value: N_("Cancelled"),
}

"""Use cases of questions: ask, the coordinator's inbox and answers, reading the Nota van Inlichtingen, follow.

Publishing the Nota (and announcements) is in ``app.questions.nota``.

Callers commit. Every change records an audit event. The asker of a question (user and organisation) is
stored for the challenge's coordinators only: nothing that reaches the public, a follower or the audit
data of a publication names them.

Languages: the Nota is bilingual. A question is published in Dutch and English (the coordinator edits the
asker's text into the language it was asked in and adds the translation) and so is its answer; an entry
can be approved for publication only when all four texts are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import i18n
from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge
from app.challenges.schemas import ChallengeDefinition
from app.errors import DeadlinePassed, FieldError, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from app.i18n import N_
from app.notifications.service import queue_email
from app.organisations.models import Organisation
from app.questions import permissions
from app.questions.enums import (
    ENTRY_MACHINE,
    FIXED_SECTIONS,
    OPEN_STATUSES,
    STAGE_SECTION_PREFIX,
    EntryKind,
    EntryStatus,
)
from app.questions.models import ChallengeFollower, NotaEntry, NotaVersion
from app.questions.schemas import AnswerForm

SECTION_LABELS = {
    "problem": N_("Problem statement"),
    "effects": N_("Desired operational effects"),
    "eligibility": N_("Who can take part"),
    "criteria": N_("How proposals are evaluated"),
    "other": N_("Something else"),
}
TEXT_FIELDS = ("question_nl", "question_en", "answer_nl", "answer_en")


# --- sections -------------------------------------------------------------------------------------


def section_labels(definition: ChallengeDefinition) -> dict[str, dict[str, str]]:
    """Section key -> its label in Dutch and English, in the order of the challenge page."""
    labels: dict[str, dict[str, str]] = {}
    for key in FIXED_SECTIONS[:3]:
        labels[key] = _both(SECTION_LABELS[key])
    for stage in definition.stages:
        labels[STAGE_SECTION_PREFIX + stage.key] = {"nl": stage.title.nl, "en": stage.title.en}
    for key in FIXED_SECTIONS[3:]:
        labels[key] = _both(SECTION_LABELS[key])
    return labels


def _both(msgid: str) -> dict[str, str]:
    return {"nl": i18n.translate("nl", msgid), "en": i18n.translate("en", msgid)}


def _check_section(challenge: Challenge, section: str) -> str | None:
    if not section:
        return None
    if section not in section_labels(challenge_service.current_definition(challenge)):
        raise ValidationFailed(errors=[FieldError("section", N_("Choose one of the options."))])
    return section


# --- asking ---------------------------------------------------------------------------------------


def ask_question(
    session: Session,
    *,
    challenge: Challenge,
    user: User,
    organisation_id: int | None,
    text: str,
    section: str,
    language: str,
    actor: Actor,
    now: datetime,
) -> NotaEntry:
    """Receive a question until the current stage's question deadline (server clock); confirm it by e-mail."""
    deadline = permissions.question_deadline(challenge, now)
    if not permissions.can_ask(challenge, now):
        if challenge.status != ChallengeStatus.PUBLISHED.value or deadline is None:
            raise NotPermitted(N_("This challenge does not take questions now."))
        raise DeadlinePassed(N_("Questions could be asked until %(deadline)s."), deadline=deadline)
    entry = NotaEntry(
        challenge_id=challenge.id,
        kind=EntryKind.QUESTION.value,
        status=EntryStatus.RECEIVED.value,
        asker_id=user.id,
        organisation_id=organisation_id,
        section=_check_section(challenge, section),
        language=language,
        original_text=text,
        question_nl=text if language == "nl" else "",
        question_en=text if language == "en" else "",
        asked_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="question.ask",
        object_type="nota_entry",
        object_id=entry.id,
        at=now,
        data={"challenge": challenge.slug, "section": entry.section, "organisation_id": organisation_id},
    )
    queue_email(
        session,
        to=user.email,
        template="question_received",
        language=user.language,
        context={"challenge_title": challenge.title(user.language), "text": text},
        now=now,
        user_id=user.id,
    )
    return entry


def list_my_questions(session: Session, *, challenge_id: int, user_id: int) -> list[NotaEntry]:
    query = (
        select(NotaEntry)
        .where(NotaEntry.challenge_id == challenge_id, NotaEntry.asker_id == user_id)
        .order_by(NotaEntry.asked_at.desc(), NotaEntry.id.desc())
    )
    return list(session.scalars(query))


# --- the coordinator's inbox ----------------------------------------------------------------------


def count_open_questions(session: Session, *, challenge_id: int) -> int:
    """Questions not yet published (received, answered or approved): what the dashboard shows as open."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(NotaEntry)
            .where(
                NotaEntry.challenge_id == challenge_id,
                NotaEntry.kind == EntryKind.QUESTION.value,
                NotaEntry.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class InboxItem:
    entry: NotaEntry
    asker: User | None
    organisation_name: str | None


def list_inbox(session: Session, *, challenge_id: int) -> list[InboxItem]:
    """Every question and announcement of a challenge: open ones first (oldest first), then the published."""
    query = (
        select(NotaEntry, User, Organisation.legal_name)
        .outerjoin(User, User.id == NotaEntry.asker_id)
        .outerjoin(Organisation, Organisation.id == NotaEntry.organisation_id)
        .where(NotaEntry.challenge_id == challenge_id)
        .order_by(NotaEntry.number.is_not(None), NotaEntry.number, NotaEntry.asked_at, NotaEntry.id)
    )
    return [InboxItem(entry, asker, name) for entry, asker, name in session.execute(query)]


def get_entry(session: Session, *, challenge_id: int, entry_id: int) -> NotaEntry:
    entry = session.get(NotaEntry, entry_id)
    if entry is None or entry.challenge_id != challenge_id:
        raise NotFound()
    return entry


def save_answer(
    session: Session,
    *,
    challenge: Challenge,
    entry: NotaEntry,
    form: AnswerForm,
    approve: bool,
    actor: Actor,
    now: datetime,
) -> NotaEntry:
    """Store the edited question and the answer; with ``approve``, mark it for the next publication.

    Saving again after approval takes the entry back to "answered": what was approved is what is published.
    """
    if not permissions.can_edit_entry(entry):
        raise InvalidTransition(N_("A published entry can no longer be changed."))
    section = _check_section(challenge, form.section)
    complete = all(getattr(form, name) for name in TEXT_FIELDS)
    if approve and not complete:
        missing = [name for name in TEXT_FIELDS if not getattr(form, name)]
        raise ValidationFailed(
            errors=[FieldError(name, N_("Fill this in before marking the entry for publication.")) for name in missing]
        )
    target = EntryStatus.APPROVED if approve else (EntryStatus.ANSWERED if complete else EntryStatus.RECEIVED)
    ENTRY_MACHINE.check(entry.status, target)
    changed = sorted(name for name in TEXT_FIELDS if getattr(form, name) != getattr(entry, name))
    for name in TEXT_FIELDS:
        setattr(entry, name, getattr(form, name))
    entry.section = section
    entry.updated_at = now
    entry.updated_by_id = actor.user_id
    session.flush()
    ENTRY_MACHINE.move(
        session,
        entry,
        target,
        actor=actor,
        now=now,
        action="question.approve" if approve else "question.edit",
        data={"challenge": challenge.slug, "status": target.value, "changed": changed},
    )
    return entry


# --- reading versions -----------------------------------------------------------------------------


def latest_version(session: Session, *, challenge_id: int) -> NotaVersion | None:
    return session.scalar(
        select(NotaVersion).where(NotaVersion.challenge_id == challenge_id).order_by(NotaVersion.number.desc()).limit(1)
    )


def list_versions(session: Session, *, challenge_id: int) -> list[NotaVersion]:
    """Every version, newest first."""
    query = select(NotaVersion).where(NotaVersion.challenge_id == challenge_id).order_by(NotaVersion.number.desc())
    return list(session.scalars(query))


# --- following ------------------------------------------------------------------------------------


def is_following(session: Session, *, challenge_id: int, user_id: int) -> bool:
    return session.get(ChallengeFollower, (challenge_id, user_id)) is not None


def set_following(
    session: Session, *, challenge: Challenge, user: User, follow: bool, actor: Actor, now: datetime
) -> None:
    """Follow or stop following a challenge; doing what is already so changes nothing and records nothing."""
    existing = session.get(ChallengeFollower, (challenge.id, user.id))
    if follow == (existing is not None):
        return
    if existing is None:
        session.add(ChallengeFollower(challenge_id=challenge.id, user_id=user.id, followed_at=now))
    else:
        session.delete(existing)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="challenge.follow" if follow else "challenge.unfollow",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"challenge": challenge.slug},
    )


# --- the public challenge page --------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeQuestions:
    """What the public challenge page shows of questions: the latest Nota, the question period, following."""

    latest: NotaVersion | None
    deadline: datetime | None
    can_ask: bool
    following: bool
    manages: bool  # the viewer is a coordinator of the challenge (or an administrator): link to the inbox
    open_questions: int


def challenge_page(session: Session, *, challenge: Challenge, user: User | None, now: datetime) -> ChallengeQuestions:
    manages = permissions.can_manage_questions(session, user, challenge)
    return ChallengeQuestions(
        latest=latest_version(session, challenge_id=challenge.id),
        deadline=permissions.question_deadline(challenge, now),
        can_ask=permissions.can_ask(challenge, now),
        following=user is not None and is_following(session, challenge_id=challenge.id, user_id=user.id),
        manages=manages,
        open_questions=count_open_questions(session, challenge_id=challenge.id) if manages else 0,
    )

"""Publishing the Nota van Inlichtingen: approved questions and announcements in a new numbered version, its
SHA-256 in the audit chain, one e-mail to each follower and member of an organisation with a proposal, and
one to the asker of each question answered in it.

Callers commit. Nothing that reaches the public, a follower or the audit data of a publication names an asker.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import PublishedHead
from app.audit.service import Actor, publish_head, record_event
from app.canonical import canonical_json, sha256_hex
from app.challenges import service as challenge_service
from app.challenges.models import Challenge
from app.errors import FieldError, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.organisations.models import Membership
from app.proposals import service as proposal_service
from app.questions.enums import ENTRY_MACHINE, EntryKind, EntryStatus
from app.questions.models import ChallengeFollower, NotaEntry, NotaVersion
from app.questions.nota.askers import notify_askers
from app.questions.service import latest_version, section_labels

# --- publishing -----------------------------------------------------------------------------------


def publish(session: Session, *, challenge: Challenge, actor: Actor, now: datetime, links: Links) -> NotaVersion:
    """Publish every approved entry in a new version of the Nota van Inlichtingen.

    Entries get the next numbers (a number never changes after); the version holds every published entry
    and its SHA-256 over the canonical content goes into the audit chain (``nota.publish``). Followers and
    members of organisations with a draft or submission get one e-mail each, in their own language.
    """
    _lock_challenge(session, challenge)
    approved = _approved_entries(session, challenge_id=challenge.id)
    if not approved:
        raise ValidationFailed(errors=[FieldError("publish", N_("No entry is marked for publication."))])
    return _publish(session, challenge=challenge, entries=approved, actor=actor, now=now, links=links)


def add_announcement(
    session: Session,
    *,
    challenge: Challenge,
    title_nl: str,
    title_en: str,
    text_nl: str,
    text_en: str,
    actor: Actor,
    now: datetime,
) -> NotaEntry:
    """An announcement entry, approved for the next publication (``publish_announcements`` publishes it)."""
    texts = {"title_nl": title_nl, "title_en": title_en, "text_nl": text_nl, "text_en": text_en}
    missing = [name for name, value in texts.items() if not value.strip()]
    if missing:
        raise ValidationFailed(errors=[FieldError(name, N_("This field is required.")) for name in missing])
    _lock_challenge(session, challenge)
    entry = NotaEntry(
        challenge_id=challenge.id,
        kind=EntryKind.ANNOUNCEMENT.value,
        status=EntryStatus.APPROVED.value,
        asker_id=None,
        question_nl=title_nl.strip(),
        question_en=title_en.strip(),
        answer_nl=text_nl.strip(),
        answer_en=text_en.strip(),
        language="nl",
        asked_at=now,
        updated_at=now,
        updated_by_id=actor.user_id,
    )
    session.add(entry)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="nota.announce",
        object_type="nota_entry",
        object_id=entry.id,
        at=now,
        data={"challenge": challenge.slug, "title": title_en.strip()},
    )
    return entry


def publish_announcements(
    session: Session,
    *,
    challenge: Challenge,
    actor: Actor,
    now: datetime,
    links: Links,
    already_told: Collection[int] = (),
) -> NotaVersion:
    """Publish the approved entries (announcements and answered questions) as one new Nota version."""
    _lock_challenge(session, challenge)
    approved = _approved_entries(session, challenge_id=challenge.id)
    return _publish(
        session, challenge=challenge, entries=approved, actor=actor, now=now, links=links, skip=already_told
    )


def _lock_challenge(session: Session, challenge: Challenge) -> None:
    """Serialise publications of one challenge (numbers and versions); SQLite's writer lock does it there."""
    session.execute(select(Challenge.id).where(Challenge.id == challenge.id).with_for_update())


def _approved_entries(session: Session, *, challenge_id: int) -> list[NotaEntry]:
    query = (
        select(NotaEntry)
        .where(NotaEntry.challenge_id == challenge_id, NotaEntry.status == EntryStatus.APPROVED.value)
        .order_by(NotaEntry.asked_at, NotaEntry.id)
    )
    return list(session.scalars(query))


def _publish(
    session: Session,
    *,
    challenge: Challenge,
    entries: list[NotaEntry],
    actor: Actor,
    now: datetime,
    links: Links,
    skip: Collection[int] = (),
) -> NotaVersion:
    previous = latest_version(session, challenge_id=challenge.id)
    number = (previous.number if previous else 0) + 1
    next_entry = (
        session.scalar(select(func.max(NotaEntry.number)).where(NotaEntry.challenge_id == challenge.id)) or 0
    ) + 1
    for offset, entry in enumerate(entries):
        ENTRY_MACHINE.move(
            session,
            entry,
            EntryStatus.PUBLISHED,
            actor=actor,
            now=now,
            data={"challenge": challenge.slug, "version": number},
        )
        entry.number = next_entry + offset
        entry.published_at = now
        entry.first_version = number
    session.flush()
    content = _version_content(session, challenge=challenge, number=number, now=now, previous=previous)
    version = NotaVersion(
        challenge_id=challenge.id,
        number=number,
        published_at=now,
        published_by_id=actor.user_id,
        content=content,
        content_hash=content_hash(content),
    )
    session.add(version)
    session.flush()
    event = record_event(
        session,
        actor=actor,
        action="nota.publish",
        object_type="nota_version",
        object_id=version.id,
        at=now,
        data={
            "challenge": challenge.slug,
            "version": number,
            "sha256": version.content_hash,
            "entries": [entry.number for entry in entries],
        },
    )
    head = publish_head(session, event=event, data={"challenge": challenge.slug, "version": number})
    _notify(session, challenge=challenge, version=version, head=head, now=now, links=links, skip=skip)
    notify_askers(session, challenge=challenge, entries=entries, version=number, now=now, links=links)
    return version


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of a version's canonical content: anyone holding the content can check the published hash."""
    return sha256_hex(canonical_json(content))


def _version_content(
    session: Session, *, challenge: Challenge, number: int, now: datetime, previous: NotaVersion | None
) -> dict[str, Any]:
    labels = section_labels(challenge_service.current_definition(challenge))
    published = session.scalars(
        select(NotaEntry)
        .where(NotaEntry.challenge_id == challenge.id, NotaEntry.status == EntryStatus.PUBLISHED.value)
        .order_by(NotaEntry.number)
    )
    return {
        "challenge": challenge.slug,
        "title": {"nl": challenge.title_nl, "en": challenge.title_en},
        "version": number,
        "published_at": now.isoformat(),
        "previous_sha256": previous.content_hash if previous else None,
        "entries": [_entry_content(entry, labels) for entry in published],
    }


def _entry_content(entry: NotaEntry, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """What the public sees of an entry: never the asker, the organisation or the original wording."""
    assert entry.published_at is not None
    item: dict[str, Any] = {
        "number": entry.number,
        "kind": entry.kind,
        "first_version": entry.first_version,
        "published_at": entry.published_at.isoformat(),
    }
    if entry.kind == EntryKind.ANNOUNCEMENT.value:
        item["title"] = {"nl": entry.question_nl, "en": entry.question_en}
        item["text"] = {"nl": entry.answer_nl, "en": entry.answer_en}
    else:
        item["section"] = entry.section
        item["section_label"] = labels.get(entry.section) if entry.section else None
        item["question"] = {"nl": entry.question_nl, "en": entry.question_en}
        item["answer"] = {"nl": entry.answer_nl, "en": entry.answer_en}
    return item


# --- who hears of a new version -------------------------------------------------------------------


def organisation_ids_with_proposals(session: Session, *, challenge_id: int) -> set[int]:
    """Organisations with a draft or a submission for the challenge: the proposals domain decides."""
    return proposal_service.organisation_ids_with_proposals(session, challenge_id=challenge_id)


def notification_recipients(session: Session, *, challenge_id: int) -> list[User]:
    """Followers and members of organisations with a draft or submission, each once, active accounts only."""
    wanted = select(ChallengeFollower.user_id).where(ChallengeFollower.challenge_id == challenge_id)
    organisations = sorted(organisation_ids_with_proposals(session, challenge_id=challenge_id))
    if organisations:
        members = select(Membership.user_id).where(Membership.organisation_id.in_(organisations))
        wanted = wanted.union(members)  # type: ignore[assignment]
    query = select(User).where(User.is_active, User.id.in_(wanted)).order_by(User.id)
    return list(session.scalars(query))


def _notify(
    session: Session,
    *,
    challenge: Challenge,
    version: NotaVersion,
    head: PublishedHead,
    now: datetime,
    links: Links,
    skip: Collection[int] = (),
) -> None:
    for user in notification_recipients(session, challenge_id=challenge.id):
        if user.id in skip:
            continue
        queue_email(
            session,
            to=user.email,
            template="nota_published",
            language=user.language,
            context={
                "challenge_title": challenge.title(user.language),
                "version": version.number,
                "entries": len(version.content["entries"]),
                "sha256": version.content_hash,
                "audit_head": f"{head.event_count}:{head.head_hash}",
                "link": links.url("nota", slug=challenge.slug),
            },
            now=now,
            user_id=user.id,
        )

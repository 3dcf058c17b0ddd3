"""Loading definition files (``portal challenges load``) through the same use cases as the web.

A new slug becomes a draft, a draft's file rewrites the draft as the definition form does, and ``publish``
goes through the publish button's checks. A published challenge changes only through a correction
(``app.workspace.corrections``): frozen fields stay frozen, deadlines only move later and only before they
pass, and the change needs a reason; it is then announced, re-confirmed, e-mailed and audited like one made
on the web. A challenge past publication (evaluation, decided, cancelled, archived) never changes. A file
equal to what is stored changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.challenges import service as challenge_service
from app.challenges.definitions import shift_to_future
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge
from app.challenges.schemas import ChallengeDefinition
from app.clock import to_local
from app.errors import DomainError, FieldError, NotFound, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.workspace.challenges import service as manage
from app.workspace.corrections import service as corrections

# Demo mode: a challenge not yet published is moved so its first deadline lies at least this far ahead.
DEMO_LEAD = timedelta(days=28)
PUBLISHED_FROM_FILE = "Published from a definition file (portal challenges load)."
DIFFERS = N_("The file differs from the published challenge here.")
REASON_NEEDED = N_("The challenge is published: a change is a correction and needs a reason (--reason).")
LOCKED = N_("The challenge's status is '%(status)s': its definition can no longer change.")
MAX_LISTED_DIFFERENCES = 20


class LoadRefused(DomainError):
    """Nothing was loaded; ``problems`` holds (slug, error) pairs, every one that was found."""

    message = N_("Nothing was loaded.")

    def __init__(self, problems: list[tuple[str, FieldError]], *, published_only: bool = False) -> None:
        super().__init__()
        self.problems = problems
        # Every problem is a change refused to a challenge past its draft (the files are fine as such).
        self.published_only = published_only


@dataclass(frozen=True)
class LoadOutcome:
    slug: str
    result: str  # "created", "updated", "published", "corrected" or "unchanged"


def load_definitions(
    session: Session,
    *,
    definitions: list[ChallengeDefinition],
    reason: str | None,
    publish: bool,
    demo: bool,
    actor: Actor,
    now: datetime,
    links: Links,
    extension_days: int,
) -> list[LoadOutcome]:
    """Load every definition or none: ``LoadRefused`` lists every problem and the caller rolls back.

    ``demo`` moves the times of challenges that are not published yet (never of a published one: a file
    that differs from a published challenge only by the demo's earlier shift counts as unchanged).
    """
    problems: list[tuple[str, FieldError]] = _duplicates(definitions) + challenge_service.check_taxonomy(
        session, definitions
    )
    if problems:
        raise LoadRefused(problems)
    outcomes: list[LoadOutcome] = []
    only_published = True  # every refusal so far concerns a challenge past its draft
    for definition in definitions:
        try:
            result = _load_one(
                session,
                definition,
                reason=(reason or "").strip() or None,
                publish=publish,
                demo=demo,
                actor=actor,
                now=now,
                links=links,
                extension_days=extension_days,
            )
        except ValidationFailed as failed:
            problems += [(definition.slug, error) for error in failed.errors]
            only_published = only_published and _past_draft(session, definition.slug)
        except DomainError as refused:
            problems.append((definition.slug, FieldError("status", refused.message, refused.params)))
            only_published = only_published and _past_draft(session, definition.slug)
        else:
            outcomes.append(LoadOutcome(definition.slug, result))
    if problems:
        raise LoadRefused(problems, published_only=only_published)
    return outcomes


def _past_draft(session: Session, slug: str) -> bool:
    challenge = _find(session, slug)
    return challenge is not None and challenge.status != ChallengeStatus.DRAFT.value


def _duplicates(definitions: list[ChallengeDefinition]) -> list[tuple[str, FieldError]]:
    slugs = [d.slug for d in definitions]
    return [
        (slug, FieldError("slug", N_("The slug '%(slug)s' appears in more than one file."), {"slug": slug}))
        for slug in sorted({slug for slug in slugs if slugs.count(slug) > 1})
    ]


def _find(session: Session, slug: str) -> Challenge | None:
    try:
        return challenge_service.get_challenge_by_slug(session, slug=slug)
    except NotFound:
        return None


def _load_one(
    session: Session,
    definition: ChallengeDefinition,
    *,
    reason: str | None,
    publish: bool,
    demo: bool,
    actor: Actor,
    now: datetime,
    links: Links,
    extension_days: int,
) -> str:
    challenge = _find(session, definition.slug)
    if challenge is None or challenge.status == ChallengeStatus.DRAFT.value:
        if demo:
            definition = shift_to_future(definition, now_local=to_local(now).replace(tzinfo=None), lead=DEMO_LEAD)
        return _load_draft(session, challenge, definition, reason=reason, publish=publish, actor=actor, now=now)
    stored = challenge_service.current_definition(challenge)
    if demo:
        definition = _as_shifted_before(definition, stored)
    if challenge_service.definition_hash(definition) == challenge_service.current_definition_hash(challenge):
        return "unchanged"
    if challenge.status != ChallengeStatus.PUBLISHED.value:
        raise ValidationFailed([FieldError("status", LOCKED, {"status": challenge.status})])
    try:
        corrections.correct_challenge(
            session,
            challenge=challenge,
            definition=definition,
            reason=reason,
            actor=actor,
            now=now,
            extension_days=extension_days,
            links=links,
        )
    except ValidationFailed as failed:
        errors = [FieldError("--reason", REASON_NEEDED) if e.path == "reason" else e for e in failed.errors]
        if reason is None:
            errors = [FieldError(path, DIFFERS) for path in differences(stored, definition)] + errors
        raise ValidationFailed(errors) from None
    return "corrected"


def _load_draft(
    session: Session,
    challenge: Challenge | None,
    definition: ChallengeDefinition,
    *,
    reason: str | None,
    publish: bool,
    actor: Actor,
    now: datetime,
) -> str:
    """A new draft, or a draft rewritten in place as the form does; then published with the web's checks."""
    if challenge is None:
        challenge_service.save_definition(session, definition=definition, actor=actor, now=now)
        challenge = challenge_service.get_challenge_by_slug(session, slug=definition.slug)
        result = "created"
    else:
        unchanged = challenge_service.definition_hash(definition) == challenge_service.current_definition_hash(
            challenge
        )
        manage.update_draft(session, challenge=challenge, definition=definition, actor=actor, now=now)
        result = "unchanged" if unchanged else "updated"
    if publish:
        manage.publish_challenge(
            session, challenge=challenge, reason=reason or PUBLISHED_FROM_FILE, actor=actor, now=now
        )
        result = "published" if result == "unchanged" else result
    return result


def _as_shifted_before(definition: ChallengeDefinition, stored: ChallengeDefinition) -> ChallengeDefinition:
    """The file moved by the whole weeks a demo load once moved the stored challenge, when it was moved so;
    else the file as written. A demo restart thereby finds an unchanged published challenge unchanged."""
    if not definition.stages or not stored.stages:
        return definition
    delta = stored.stages[0].deadline - definition.stages[0].deadline
    if delta <= timedelta(0) or delta % timedelta(weeks=1):
        return definition
    data = definition.model_dump(mode="python")
    for stage in data["stages"]:
        for name in ("opens_at", "deadline", "question_deadline"):
            if stage.get(name) is not None:
                stage[name] = stage[name] + delta
    return ChallengeDefinition.model_validate(data)


def differences(before: ChallengeDefinition, after: ChallengeDefinition) -> list[str]:
    """The paths (``stages[0].deadline``) where two definitions differ, the first few of them."""
    found: list[str] = []
    _walk(before.model_dump(mode="json"), after.model_dump(mode="json"), "", found)
    return found[:MAX_LISTED_DIFFERENCES]


def _walk(old: Any, new: Any, path: str, found: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            _walk(old.get(key), new.get(key), f"{path}.{key}" if path else str(key), found)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, f"{path}[{index}]", found)
    elif old != new:
        found.append(path or "(file)")

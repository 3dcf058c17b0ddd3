"""Challenge use cases: load definitions, change status, and the public queries."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from app.audit.service import Actor, record_event
from app.canonical import canonical_json, sha256_hex
from app.challenges.enums import CHALLENGE_MACHINE, PUBLIC_STATUSES, ChallengeStatus, Phase, TaxonomyKind
from app.challenges.models import Challenge, ChallengeStage, ChallengeVersion, TaxonomyTerm
from app.challenges.regions.models import ChallengeRegion
from app.challenges.schemas import ChallengeDefinition
from app.clock import local_to_utc
from app.errors import FieldError, NotFound, ValidationFailed
from app.organisations.regions.models import Region

DEFAULT_QUESTION_PERIOD = timedelta(days=10)


# --- definitions -------------------------------------------------------------------------------


def definition_hash(definition: ChallengeDefinition) -> str:
    return sha256_hex(canonical_json(definition.model_dump(mode="json")))


_PARSED: OrderedDict[str, ChallengeDefinition] = OrderedDict()
_PARSED_LOCK = threading.Lock()
_PARSED_LIMIT = 256


def version_definition(version: ChallengeVersion) -> ChallengeDefinition:
    """The validated definition a version holds, parsed once per content hash. The definition column is
    loaded only when this process has not parsed that hash yet (it is deferred on the model)."""
    with _PARSED_LOCK:
        found = _PARSED.get(version.content_hash)
    if found is None:
        found = ChallengeDefinition.model_validate(version.definition)
        with _PARSED_LOCK:
            _PARSED[version.content_hash] = found
            while len(_PARSED) > _PARSED_LIMIT:
                _PARSED.popitem(last=False)
    return found


def current_definition(challenge: Challenge) -> ChallengeDefinition:
    version = next(v for v in challenge.versions if v.number == challenge.current_version)
    return version_definition(version)


def check_taxonomy(session: Session, definitions: list[ChallengeDefinition]) -> list[tuple[str, FieldError]]:
    """Tags that name no active taxonomy term, as (slug, error) pairs."""
    known = {(term.kind, term.key) for term in session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.active))}
    problems: list[tuple[str, FieldError]] = []
    for definition in definitions:
        for kind, keys in ((TaxonomyKind.NLD, definition.tags.nld), (TaxonomyKind.BASIS, definition.tags.basis)):
            for index, key in enumerate(keys):
                if (kind.value, key) not in known:
                    problems.append(
                        (
                            definition.slug,
                            FieldError(f"tags.{kind.value}[{index}]", f"unknown {kind.value} tag '{key}'"),
                        )
                    )
    return problems


@dataclass(frozen=True)
class LoadOutcome:
    slug: str
    result: str  # "created", "updated" or "unchanged"


def save_definition(
    session: Session,
    *,
    definition: ChallengeDefinition,
    actor: Actor,
    now: datetime,
    publish: bool = False,
    reason: str | None = None,
) -> LoadOutcome:
    """Create a challenge from a definition or give an existing one (same slug) a new version.

    Side effects: stages and tags follow the definition; a new version is only made when the content
    changed; ``publish`` moves a draft to published; each change records an audit event. Does not commit.
    """
    problems = check_taxonomy(session, [definition])
    if problems:
        raise ValidationFailed([error for _, error in problems])
    content_hash = definition_hash(definition)
    challenge = session.scalar(
        select(Challenge).where(Challenge.slug == definition.slug).options(selectinload(Challenge.versions))
    )
    if challenge is None:
        challenge = Challenge(
            slug=definition.slug, status=ChallengeStatus.DRAFT.value, current_version=0, created_at=now
        )
        session.add(challenge)
        result = "created"
    elif current_definition_hash(challenge) == content_hash:
        result = "unchanged"
    else:
        result = "updated"
    if result != "unchanged":
        _apply_definition(session, challenge, definition, content_hash=content_hash, now=now, reason=reason)
        record_event(
            session,
            actor=actor,
            action=f"challenge.{'create' if result == 'created' else 'update'}",
            object_type="challenge",
            object_id=challenge.id,
            at=now,
            data={"slug": challenge.slug, "version": challenge.current_version, "hash": content_hash},
        )
    if publish and challenge.status == ChallengeStatus.DRAFT.value:
        transition_challenge(session, challenge=challenge, to=ChallengeStatus.PUBLISHED, actor=actor, now=now)
    return LoadOutcome(definition.slug, result)


def replace_draft_definition(
    session: Session, *, challenge: Challenge, definition: ChallengeDefinition, now: datetime
) -> None:
    """Rewrite a draft's current version in place (drafts keep one version until publication). No audit here:
    the caller records what the change means."""
    _apply_definition(
        session, challenge, definition, content_hash=definition_hash(definition), now=now, reason=None, replace=True
    )


def stage_title(stage: ChallengeStage, language: str) -> str:
    """A stage's title in ``language``, from its challenge's current definition (its key only if that lacks it)."""
    for spec in current_definition(stage.challenge).stages:
        if spec.key == stage.key:
            return spec.title.get(language)
    return stage.key


def current_definition_hash(challenge: Challenge) -> str | None:
    for version in challenge.versions:
        if version.number == challenge.current_version:
            return version.content_hash
    return None


def _apply_definition(
    session: Session,
    challenge: Challenge,
    definition: ChallengeDefinition,
    *,
    content_hash: str,
    now: datetime,
    reason: str | None,
    replace: bool = False,
) -> None:
    """Make the definition current: a new version, or (``replace``, drafts only) the current one rewritten."""
    challenge.title_nl, challenge.title_en = definition.title.nl, definition.title.en
    challenge.summary_nl, challenge.summary_en = definition.summary.nl, definition.summary.en
    challenge.updated_at = now
    current = next((v for v in challenge.versions if v.number == challenge.current_version), None)
    if replace and current is not None:
        current.definition = definition.model_dump(mode="json")
        current.content_hash = content_hash
        current.created_at = now
    else:
        challenge.current_version += 1
        challenge.versions.append(
            ChallengeVersion(
                number=challenge.current_version,
                definition=definition.model_dump(mode="json"),
                content_hash=content_hash,
                reason=reason,
                created_at=now,
            )
        )
    _sync_stages(challenge, definition)
    wanted = [(TaxonomyKind.NLD.value, key) for key in definition.tags.nld] + [
        (TaxonomyKind.BASIS.value, key) for key in definition.tags.basis
    ]
    terms = {(t.kind, t.key): t for t in session.scalars(select(TaxonomyTerm))}
    challenge.tags = [terms[item] for item in wanted]
    session.flush()


def _sync_stages(challenge: Challenge, definition: ChallengeDefinition) -> None:
    existing = {stage.key: stage for stage in challenge.stages}
    stages: list[ChallengeStage] = []
    for position, spec in enumerate(definition.stages):
        stage = existing.get(spec.key) or ChallengeStage(key=spec.key)
        deadline = local_to_utc(spec.deadline)
        stage.position = position
        stage.opens_at = local_to_utc(spec.opens_at)
        stage.deadline_at = deadline
        # The default is counted in local days, so a clock change in between does not move the hour.
        stage.question_deadline_at = local_to_utc(spec.question_deadline or spec.deadline - DEFAULT_QUESTION_PERIOD)
        stage.invitation_only = spec.invitation_only
        stages.append(stage)
    challenge.stages = stages


def transition_challenge(
    session: Session,
    *,
    challenge: Challenge,
    to: ChallengeStatus,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> None:
    """The one way a challenge changes status: ``CHALLENGE_MACHINE`` checks the table and records the event."""
    CHALLENGE_MACHINE.move(session, challenge, to, actor=actor, now=now, data={"reason": reason})
    challenge.status_reason = reason
    challenge.updated_at = now
    if to == ChallengeStatus.PUBLISHED and challenge.published_at is None:
        challenge.published_at = now


# --- public queries -----------------------------------------------------------------------------


def phase_of(challenge: Challenge, now: datetime) -> Phase:
    """Open while a stage that anyone may enter is open; upcoming before it; closed otherwise."""
    if challenge.status != ChallengeStatus.PUBLISHED.value:
        return Phase.CLOSED
    public_stages = [stage for stage in challenge.stages if not stage.invitation_only]
    if any(accepts_proposals(challenge, stage, now) for stage in public_stages):
        return Phase.OPEN
    if any(now < stage.opens_at for stage in public_stages):
        return Phase.UPCOMING
    return Phase.CLOSED


def accepts_proposals(challenge: Challenge, stage: ChallengeStage, now: datetime) -> bool:
    """A stage takes proposals only while it is open and its challenge published (not in evaluation, not
    cancelled)."""
    return challenge.status == ChallengeStatus.PUBLISHED.value and stage.is_open(now)


def is_public(challenge: Challenge) -> bool:
    """The public sees a challenge once it was published, also after it moved on (a draft cancelled before
    publication stays hidden)."""
    return ChallengeStatus(challenge.status) in PUBLIC_STATUSES and challenge.published_at is not None


def public_phase(challenge: Challenge, now: datetime) -> Phase | None:
    """The phase the public pages show for a challenge (``phase_of``), or None when they do not show it at all."""
    if not is_public(challenge):
        return None
    return phase_of(challenge, now)


def current_stage(challenge: Challenge, now: datetime) -> ChallengeStage | None:
    """The stage open now, else the next to open, else the last one."""
    for stage in challenge.stages:
        if now < stage.deadline_at:
            return stage
    return challenge.stages[-1] if challenge.stages else None


@dataclass(frozen=True)
class ChallengeListItem:
    challenge: Challenge
    phase: Phase
    stage: ChallengeStage | None


def list_public_challenges(
    session: Session,
    *,
    now: datetime,
    phase: Phase | None = None,
    tag: str | None = None,
    text: str | None = None,
    region: str | None = None,
) -> list[ChallengeListItem]:
    """Published (and later) challenges, open first, then upcoming, then closed; filtered as asked (``region``: the
    key of a regional team the challenge is tagged with). A filter holding a NUL character matches nothing: no
    stored text holds one (and PostgreSQL refuses it in a statement)."""
    if any("\x00" in value for value in (tag, text, region) if value):
        return []
    query = (
        select(Challenge)
        .where(Challenge.status.in_([s.value for s in PUBLIC_STATUSES]), Challenge.published_at.is_not(None))
        .options(selectinload(Challenge.stages), selectinload(Challenge.tags))
        .order_by(Challenge.id)
    )
    if tag:
        query = query.where(Challenge.tags.any(TaxonomyTerm.key == tag))
    if region:
        tagged = (
            select(ChallengeRegion.challenge_id)
            .join(Region, Region.id == ChallengeRegion.region_id)
            .where(Region.key == region)
        )
        query = query.where(Challenge.id.in_(tagged))
    if text:
        pattern = f"%{_escape_like(text.strip())}%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Challenge.title_nl, Challenge.title_en, Challenge.summary_nl, Challenge.summary_en)
                )
            )
        )
    items = [ChallengeListItem(c, phase_of(c, now), current_stage(c, now)) for c in session.scalars(query)]
    if phase is not None:
        items = [item for item in items if item.phase == phase]
    order = {Phase.OPEN: 0, Phase.UPCOMING: 1, Phase.CLOSED: 2}
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda i: (order[i.phase], i.stage.deadline_at if i.stage else far, i.challenge.id))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_public_challenge(session: Session, *, slug: str) -> Challenge:
    """A challenge the public may see, with its stages, tags and versions loaded; NotFound otherwise."""
    challenge = session.scalar(
        select(Challenge)
        .where(
            Challenge.slug == slug,
            Challenge.status.in_([s.value for s in PUBLIC_STATUSES]),
            Challenge.published_at.is_not(None),
        )
        .options(selectinload(Challenge.stages), selectinload(Challenge.tags), selectinload(Challenge.versions))
    )
    if challenge is None:
        raise NotFound()
    return challenge


def list_taxonomy(session: Session, *, kind: TaxonomyKind | None = None) -> list[TaxonomyTerm]:
    query = select(TaxonomyTerm).where(TaxonomyTerm.active).order_by(TaxonomyTerm.kind, TaxonomyTerm.position)
    if kind is not None:
        query = query.where(TaxonomyTerm.kind == kind.value)
    return list(session.scalars(query))


def load_definitions(
    session: Session, *, definitions: list[ChallengeDefinition], actor: Actor, now: datetime, publish: bool = False
) -> list[LoadOutcome]:
    """Load several definitions as one unit: all of them or, on any error, none (the caller commits)."""
    slugs = [d.slug for d in definitions]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicates:
        raise ValidationFailed(
            [FieldError("slug", f"slug '{slug}' appears in more than one file") for slug in duplicates]
        )
    return [save_definition(session, definition=d, actor=actor, now=now, publish=publish) for d in definitions]


def get_challenge_by_slug(session: Session, *, slug: str) -> Challenge:
    """Any challenge, whatever its status (for staff and operators); NotFound when the slug is unknown."""
    challenge = session.scalar(
        select(Challenge)
        .where(Challenge.slug == slug)
        .options(selectinload(Challenge.stages), selectinload(Challenge.tags), selectinload(Challenge.versions))
    )
    if challenge is None:
        raise NotFound()
    return challenge

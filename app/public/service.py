"""The transparency page: the audit chain's head now, and as published at each Nota version and decision release."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.audit import service as audit_service
from app.audit.models import PublishedHead
from app.challenges import service as challenge_service
from app.challenges.enums import PUBLIC_STATUSES
from app.challenges.models import Challenge
from app.challenges.schemas import LocalizedText


@dataclass(frozen=True)
class PublishedRow:
    """One published head and what was published with it: a Nota version, or a stage's decisions."""

    head: PublishedHead
    challenge: Challenge | None  # None when the challenge is no longer public
    nota_version: int | None
    stage_title: LocalizedText | None


@dataclass(frozen=True)
class Transparency:
    current: audit_service.ChainHead
    published: list[PublishedRow]


def transparency(session: Session) -> Transparency:
    """The current head and every published head, newest first, with their challenges. A fixed number of queries."""
    heads = audit_service.list_published_heads(session)
    slugs = {str(head.data.get("challenge", "")) for head in heads}
    challenges = {
        challenge.slug: challenge
        for challenge in session.scalars(
            select(Challenge)
            .where(Challenge.slug.in_(slugs), Challenge.status.in_([s.value for s in PUBLIC_STATUSES]))
            .options(selectinload(Challenge.versions))
        )
    }
    rows = [_row(head, challenges.get(str(head.data.get("challenge", "")))) for head in heads]
    return Transparency(current=audit_service.chain_head(session), published=rows)


def _row(head: PublishedHead, challenge: Challenge | None) -> PublishedRow:
    version = head.data.get("version")
    stage_title = None
    if challenge is not None and "stage" in head.data:
        stages = challenge_service.current_definition(challenge).stages
        stage_title = next((stage.title for stage in stages if stage.key == head.data["stage"]), None)
    return PublishedRow(head, challenge, int(version) if version is not None else None, stage_title)

"""The staff workspace's loaders: a challenge the user manages, by slug, and one of its stages.

Every coordinator and administrator route under ``/manage/challenges/{slug}`` takes these instead of
loading and checking by hand. Someone who does not manage the challenge gets 404, as for a challenge
that does not exist, so slugs of drafts leak nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.accounts.dependencies import StaffUser
from app.challenges import permissions, service
from app.challenges.models import Challenge, ChallengeStage
from app.errors import NotFound
from app.web import DbSession


def managed_challenge(slug: str, db: DbSession, user: StaffUser) -> Challenge:
    """The challenge with this slug if the user manages it (its coordinators, administrators); 404 otherwise."""
    challenge = service.get_challenge_by_slug(db, slug=slug)
    if not permissions.can_manage_challenge(db, user, challenge):
        raise NotFound()
    return challenge


ManagedChallenge = Annotated[Challenge, Depends(managed_challenge)]


def managed_stage(stage_key: str, challenge: ManagedChallenge) -> ChallengeStage:
    """One stage of a managed challenge, by its key; 404 when the challenge has no such stage."""
    for stage in challenge.stages:
        if stage.key == stage_key:
            return stage
    raise NotFound()


ManagedStage = Annotated[ChallengeStage, Depends(managed_stage)]

"""What the coordinators' evaluation pages share: the route prefixes, the loaded scope and page helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from app.accounts.dependencies import StaffUser
from app.challenges.dependencies import ManagedChallenge, ManagedStage
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, NotFound, ValidationFailed
from app.evaluations import permissions
from app.evaluations import service as evaluation_service
from app.evaluations.results.rules import EvaluationPolicy
from app.forms import chosen_id
from app.i18n import N_
from app.web import AppSettings, DbSession, Now, refuse_sealed, see_other

BASE = "/manage/challenges/{slug}/evaluation"
STAGE = BASE + "/{stage_key}"


@dataclass
class Scope:
    challenge: Challenge
    stage: ChallengeStage
    policy: EvaluationPolicy  # the evaluation's thresholds, from the settings
    released: bool = False  # the stage's decisions are released: its evaluation can no longer change


def evaluation_policy(settings: AppSettings) -> EvaluationPolicy:
    """The evaluation's thresholds as the settings configure them."""
    return EvaluationPolicy(disagreement_threshold=settings.disagreement_threshold)


Policy = Annotated[EvaluationPolicy, Depends(evaluation_policy)]


def evaluation_scope(
    request: Request, stage: ManagedStage, db: DbSession, now: Now, policy: Policy, user: StaffUser
) -> Scope:
    """The managed challenge's stage, only after the stage's deadline (404 before, recorded), with its released flag."""
    if permissions.is_sealed(stage, now):
        refuse_sealed(request, db, user=user, object_type="challenge_stage", object_id=stage.id, stage_id=stage.id)
    return Scope(stage.challenge, stage, policy, evaluation_service.is_stage_released(db, stage_id=stage.id))


EvaluationScope = Annotated[Scope, Depends(evaluation_scope)]


def challenge_past_a_deadline(challenge: ManagedChallenge, now: Now) -> Challenge:
    """The managed challenge once one of its stages is past its deadline (the procurement route's pages); 404 before."""
    if all(permissions.is_sealed(stage, now) for stage in challenge.stages):
        raise NotFound()
    return challenge


UnsealedChallenge = Annotated[Challenge, Depends(challenge_past_a_deadline)]


def stage_page(request: Request, name: str, scope: Scope) -> Response:
    return see_other(request, name, slug=scope.challenge.slug, stage_key=scope.stage.key)


def scale_options(definition: Any, language: str) -> list[tuple[str, str]]:
    return [(str(level.value), f"{level.value}: {level.label.get(language)}") for level in definition.scale.levels]


def base_context(scope: Scope, **extra: Any) -> dict[str, Any]:
    return {"challenge": scope.challenge, "stage": scope.stage, "stage_released": scope.released, **extra}


def int_field(values: dict[str, Any], name: str) -> int:
    try:
        return int(values.get(name, ""))
    except (TypeError, ValueError):
        raise ValidationFailed(errors=[FieldError(name, N_("Choose one of the options."))]) from None


def id_field(values: dict[str, Any], name: str) -> int:
    """A row chosen by its id (``app.forms.chosen_id``: one too long to be an id names nothing)."""
    return int_field({name: chosen_id(values.get(name, ""))}, name)

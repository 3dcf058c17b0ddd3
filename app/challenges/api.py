"""Public JSON API: published challenges, read-only, documented in the OpenAPI at /api/openapi.json."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request

from app.challenges import service
from app.challenges.api_docs import DETAIL_EXAMPLE, INVALID_PARAMETER, LIST_EXAMPLE, NOT_FOUND, json_example
from app.challenges.enums import Phase
from app.challenges.models import Challenge
from app.challenges.schemas import (
    CancellationOut,
    ChallengeDetailOut,
    ChallengeListOut,
    ChallengeSummaryOut,
    LocalizedText,
    StageOut,
    TagOut,
)
from app.web import DbSession, Now

router = APIRouter(prefix="/api/v1", tags=["challenges"])


def _summary(request: Request, challenge: Challenge, now: datetime) -> dict[str, object]:
    stage = service.current_stage(challenge, now)
    return {
        "slug": challenge.slug,
        "title": LocalizedText(nl=challenge.title_nl, en=challenge.title_en),
        "summary": LocalizedText(nl=challenge.summary_nl, en=challenge.summary_en),
        "status": challenge.status,
        "cancellation": (
            CancellationOut(reason=challenge.status_reason or "", cancelled_at=challenge.cancelled_at)
            if challenge.is_cancelled
            else None
        ),
        "phase": service.phase_of(challenge, now).value,
        "tags": [
            TagOut(kind=t.kind, key=t.key, name=LocalizedText(nl=t.name_nl, en=t.name_en)) for t in challenge.tags
        ],
        "next_deadline": stage.deadline_at if stage else None,
        "version": challenge.current_version,
        "url": request.app.state.links.url("challenge_detail", slug=challenge.slug),  # never from the Host header
    }


@router.get(
    "/challenges",
    response_model=ChallengeListOut,
    summary="List published challenges",
    responses={200: json_example(LIST_EXAMPLE), **INVALID_PARAMETER},
)
def list_challenges(
    request: Request,
    db: DbSession,
    now: Now,
    phase: Phase | None = Query(default=None, description="Only challenges in this phase."),
    tag: str | None = Query(default=None, max_length=64, description="Only challenges with this NLD-gebied key."),
    q: str | None = Query(default=None, max_length=200, description="Text in a title or summary."),
) -> ChallengeListOut:
    items = service.list_public_challenges(db, now=now, phase=phase, tag=tag, text=q)
    summaries = [ChallengeSummaryOut.model_validate(_summary(request, item.challenge, now)) for item in items]
    return ChallengeListOut(count=len(summaries), challenges=summaries)


@router.get(
    "/challenges/{slug}",
    response_model=ChallengeDetailOut,
    summary="One published challenge with its stages, questions, criteria and scale",
    responses={200: json_example(DETAIL_EXAMPLE), **NOT_FOUND, **INVALID_PARAMETER},
)
def get_challenge(request: Request, slug: str, db: DbSession, now: Now) -> ChallengeDetailOut:
    challenge = service.get_public_challenge(db, slug=slug)
    definition = service.current_definition(challenge)
    stages = [
        StageOut(
            key=stage.key,
            title=spec.title,
            opens_at=stage.opens_at,
            deadline=stage.deadline_at,
            question_deadline=stage.question_deadline_at,
            invitation_only=stage.invitation_only,
            open=service.accepts_proposals(challenge, stage, now),
        )
        for stage, spec in zip(challenge.stages, definition.stages, strict=True)
    ]
    return ChallengeDetailOut.model_validate(
        {
            **_summary(request, challenge, now),
            "problem_statement": definition.problem_statement,
            "effects": definition.effects,
            "trl": definition.trl,
            "eligibility": definition.eligibility,
            "blind_scoring": definition.blind_scoring,
            "stages": stages,
            "stage_questions": {spec.key: spec.questions for spec in definition.stages},
            "scale": definition.scale,
            "criteria": definition.criteria,
            "knockout_total_minimum": definition.knockout_total_minimum,
        }
    )

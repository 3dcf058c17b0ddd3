"""Coordinator pages under ``/manage``: deadline extensions of a published challenge.

A correction is made through the definition form (``app.workspace.challenges.views``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CoordinatorUser
from app.challenges import service as challenge_service
from app.challenges.dependencies import ManagedChallenge
from app.challenges.models import Challenge
from app.errors import FieldError, ValidationFailed
from app.forms import form_values, translate_errors
from app.i18n import N_
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other
from app.workspace.corrections import service as corrections

router = APIRouter()


# --- deadline extension ---------------------------------------------------------------------------


def _extend_page(
    request: Request,
    challenge: Challenge,
    *,
    language: str,
    values: dict[str, Any],
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    context = {"challenge": challenge, "values": values, "errors": translate_errors(language, errors or [])}
    return render(request, "challenges/manage/extend.html", context, status_code=status_code)


@router.get("/manage/challenges/{slug}/extend", name="manage_challenge_extend")
def manage_challenge_extend(request: Request, challenge: ManagedChallenge, now: Now, language: Language) -> Response:
    stage = challenge_service.current_stage(challenge, now)
    return _extend_page(request, challenge, language=language, values={"stage": stage.key if stage else ""})


@router.post("/manage/challenges/{slug}/extend")
def manage_challenge_extend_save(
    request: Request,
    posted: PostedForm,
    challenge: ManagedChallenge,
    db: DbSession,
    now: Now,
    language: Language,
    user: CoordinatorUser,
) -> Response:
    values = form_values(posted)
    try:
        deadline = datetime.fromisoformat(str(values.get("deadline") or "")) if values.get("deadline") else None
    except ValueError:
        return _extend_page(
            request,
            challenge,
            language=language,
            values=values,
            errors=[FieldError("deadline", N_("Enter a date and time."))],
            status_code=422,
        )
    try:
        corrections.extend_deadline(
            db,
            challenge=challenge,
            stage_key=str(values.get("stage") or ""),
            deadline_local=deadline,
            reason=values.get("reason"),
            actor=actor_of(request, user),
            now=now,
            links=request.app.state.links,
        )
    except ValidationFailed as failed:
        db.rollback()
        return _extend_page(request, challenge, language=language, values=values, errors=failed.errors, status_code=422)
    db.commit()
    return see_other(request, "manage_challenge", slug=challenge.slug)

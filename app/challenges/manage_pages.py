"""Helpers shared by the coordinator and administrator pages under ``/manage``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from starlette.responses import Response

from app.challenges import manage, service
from app.challenges.enums import ALLOWED_TRANSITIONS, STATUS_LABELS, ChallengeStatus
from app.challenges.models import Challenge
from app.challenges.permissions import is_administrator
from app.errors import FieldError
from app.forms import translate_errors
from app.web import DbSession, render


def challenge_page(
    request: Request,
    db: DbSession,
    challenge: Challenge,
    *,
    now: datetime,
    language: str,
    errors: list[FieldError] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    current = ChallengeStatus(challenge.status)
    context = {
        "challenge": challenge,
        "dashboard": manage.challenge_dashboard(db, challenge=challenge, now=now),
        "problems": manage.publication_problems(db, challenge=challenge, now=now)
        if current == ChallengeStatus.DRAFT
        else [],
        "transitions": sorted(s.value for s in ALLOWED_TRANSITIONS[current] if s != ChallengeStatus.PUBLISHED),
        "errors": translate_errors(language, errors or []),
        "values": values or {},
        "is_admin": is_administrator(request.state.auth.user if request.state.auth else None),
    }
    context["status_labels"] = STATUS_LABELS
    context["public_phase"] = service.public_phase(challenge, now)
    return render(request, "challenges/manage/challenge.html", context, status_code=status_code)

"""The coordinator's evaluation overview."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.challenges.dependencies import ManagedChallenge
from app.evaluations import permissions
from app.evaluations import service as evaluation_service
from app.evaluations.dependencies import BASE
from app.evaluations.route import rules as route
from app.evaluations.route import service as route_service
from app.web import DbSession, Now, render

router = APIRouter()


@router.get(BASE, name="eval_overview")
def overview(request: Request, challenge: ManagedChallenge, db: DbSession, now: Now) -> Response:
    stages = [
        {
            "stage": stage,
            "sealed": permissions.is_sealed(stage, now),
            "count": evaluation_service.count_submitted(db, stage_id=stage.id),
        }
        for stage in challenge.stages
    ]
    route_decision = route_service.get_route_decision(db, challenge_id=challenge.id)
    return render(
        request,
        "evaluations/overview.html",
        {
            "challenge": challenge,
            "stages": stages,
            "route_decision": route_decision,
            "route_labels": route.ROUTE_LABELS,
        },
    )

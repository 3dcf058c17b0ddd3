"""The public archive: challenges that no longer take proposals, with their outcome or why they were cancelled."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.evaluations.route.rules import ROUTE_LABELS
from app.public.outcomes import service
from app.web import DbSession, Now, render

router = APIRouter()


@router.get("/archive", name="archive", include_in_schema=False)
def archive(request: Request, db: DbSession, now: Now) -> Response:
    context = {"entries": service.archive(db, now=now), "route_labels": ROUTE_LABELS}
    return render(request, "public/archive.html", context)

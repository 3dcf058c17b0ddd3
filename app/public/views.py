"""Public pages: the challenge list at ``/``, one challenge at ``/challenges/{slug}`` with its questions section,
and the audit trail's published heads at ``/transparency``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import OptionalAuth
from app.challenges import service as challenge_service
from app.challenges.enums import Phase, TaxonomyKind
from app.challenges.events import service as event_service
from app.challenges.regions import service as challenge_region_service
from app.evaluations.route.rules import ROUTE_LABELS
from app.organisations.regions import service as region_service
from app.public import service as public_service
from app.public.outcomes import service as outcome_service
from app.questions import service as question_service
from app.web import DbSession, Now, render

router = APIRouter()


def _phase_filter(value: str | None) -> Phase | None:
    try:
        return Phase(value) if value else None
    except ValueError:
        return None


@router.get("/", name="challenge_list")
def challenge_list(
    request: Request,
    db: DbSession,
    now: Now,
    status: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    region: str | None = None,
) -> Response:
    phase = _phase_filter(status)
    tags = challenge_service.list_taxonomy(db, kind=TaxonomyKind.NLD)
    tag = tag if any(term.key == tag for term in tags) else None
    regions = region_service.list_regions(db, active_only=True)
    region = region if any(team.key == region for team in regions) else None
    query = (q or "").strip()[:200]
    items = challenge_service.list_public_challenges(
        db, now=now, phase=phase, tag=tag, text=query or None, region=region
    )
    context = {"items": items, "tags": tags, "phase": phase, "tag": tag, "q": query, "phases": list(Phase)}
    context |= {"regions": regions, "region": region}
    return render(request, "challenges/list.html", context)


@router.get("/challenges/{slug}", name="challenge_detail")
def challenge_detail(request: Request, slug: str, db: DbSession, now: Now, auth: OptionalAuth) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    definition = challenge_service.current_definition(challenge)
    stages = list(zip(challenge.stages, definition.stages, strict=True))
    context = {
        "challenge": challenge,
        "definition": definition,
        "stages": stages,
        "phase": challenge_service.phase_of(challenge, now),
        "current": challenge_service.current_stage(challenge, now),
        "total_weight": sum(c.weight for c in definition.criteria),
        "outcome": outcome_service.challenge_outcome(db, challenge=challenge),
        "route_labels": ROUTE_LABELS,
        "questions": question_service.challenge_page(
            db, challenge=challenge, user=auth.user if auth else None, now=now
        ),
        "events": event_service.challenge_section(db, challenge_id=challenge.id),
        "regions": challenge_region_service.list_challenge_regions(db, challenge_id=challenge.id),
    }
    return render(request, "challenges/detail.html", context)


@router.get("/transparency", name="transparency")
def transparency(request: Request, db: DbSession) -> Response:
    """The audit trail's head now and as published at each Nota version and decision release."""
    return render(request, "public/transparency.html", {"page": public_service.transparency(db)})

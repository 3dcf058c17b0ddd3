"""Market-dialogue pages of a public challenge: its events, one event, registering and cancelling, the calendar
file of a registrant. The anonymous pages go through the page cache (``app.public.cache``); everything they show
is in tables whose changes bump the public version (migration 0032)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts.dependencies import CurrentAuth, CurrentUser, OptionalAuth
from app.accounts.models import AuthSession
from app.challenges import service as challenge_service
from app.challenges.events import permissions, service
from app.challenges.events.enums import EVENT_MACHINE, KIND_LABELS, REGISTRATION_MACHINE
from app.challenges.events.models import MarketEvent
from app.challenges.models import Challenge
from app.errors import DeadlinePassed, FieldError, NotFound, NotPermitted
from app.forms import translate_errors
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()

MACHINES = {"event_machine": EVENT_MACHINE, "registration_machine": REGISTRATION_MACHINE, "kind_labels": KIND_LABELS}


@router.get("/challenges/{slug}/events", name="market_events")
def market_events(request: Request, slug: str, db: DbSession) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    events = service.list_events(db, challenge_id=challenge.id)
    taken = service.places_taken(db, event_ids=[event.id for event in events])
    context = {"challenge": challenge, "events": events, "taken": taken, **MACHINES}
    return render(request, "challenges/events/list.html", context)


def _event_page(
    request: Request,
    db: Session,
    *,
    challenge: Challenge,
    event: MarketEvent,
    auth: AuthSession | None,
    now: datetime,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    registration = service.get_registration(db, event_id=event.id, user_id=auth.user.id) if auth else None
    context = {
        "challenge": challenge,
        "event": event,
        "taken": service.places_taken(db, event_ids=[event.id]).get(event.id, 0),
        "registration": registration if permissions.is_active(registration) else None,
        "has_place": permissions.has_place(registration),
        "registration_open": permissions.registration_open(event, now),
        "summary_shown": permissions.summary_shown(event),
        "errors": errors or {},
        "done": done if done in ("registered", "cancelled") else None,
        **MACHINES,
    }
    return render(request, "challenges/events/detail.html", context, status_code=status_code)


@router.get("/challenges/{slug}/events/{event_id}", name="market_event")
def market_event(
    request: Request, slug: str, event_id: int, db: DbSession, now: Now, auth: OptionalAuth, done: str | None = None
) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    return _event_page(request, db, challenge=challenge, event=event, auth=auth, now=now, done=done)


@router.post("/challenges/{slug}/events/{event_id}/register", name="market_event_register")
def market_event_register(
    request: Request, posted: PostedForm, slug: str, event_id: int, db: DbSession, now: Now, auth: CurrentAuth,
    language: Language,
) -> Response:  # fmt: skip
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    try:
        service.register(
            db,
            event=event,
            user=auth.user,
            organisation_id=auth.acting_organisation_id,
            actor=actor_of(request, auth.user),
            now=now,
            links=request.app.state.links,
        )
        db.commit()
        return see_other(request, "market_event", "done=registered", slug=slug, event_id=event_id)
    except (NotPermitted, DeadlinePassed) as refused:
        db.rollback()
        errors = translate_errors(language, [FieldError("register", refused.message)])
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    return _event_page(
        request, db, challenge=challenge, event=event, auth=auth, now=now, errors=errors, status_code=422
    )


@router.post("/challenges/{slug}/events/{event_id}/cancel", name="market_event_cancel")
def market_event_cancel(
    request: Request, posted: PostedForm, slug: str, event_id: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    service.cancel_registration(
        db, event=event, user=user, actor=actor_of(request, user), now=now, links=request.app.state.links
    )
    db.commit()
    return see_other(request, "market_event", "done=cancelled", slug=slug, event_id=event_id)


@router.get("/challenges/{slug}/events/{event_id}/calendar.ics", name="market_event_calendar")
def market_event_calendar(
    request: Request, slug: str, event_id: int, db: DbSession, user: CurrentUser, language: Language
) -> Response:
    """The event's calendar file, for a registrant with a confirmed place only (it holds the online link)."""
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    if not permissions.has_place(service.get_registration(db, event_id=event.id, user_id=user.id)):
        raise NotFound()
    # Imported here: icalendar (3 MB) is needed by calendar files only, not by every worker that serves pages.
    from app.challenges.events import ics

    body = ics.event_calendar(event, challenge, language=language, links=request.app.state.links)
    return Response(
        body,
        media_type=ics.CALENDAR_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}.ics"'},
    )

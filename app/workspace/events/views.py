"""Coordinator pages under ``/manage/challenges/{slug}/events``: a challenge's market-dialogue events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts.dependencies import StaffUser
from app.challenges.dependencies import ManagedChallenge
from app.challenges.events import service
from app.challenges.events.enums import EVENT_MACHINE, KIND_LABELS, REGISTRATION_MACHINE, EventStatus
from app.challenges.events.models import MarketEvent
from app.challenges.events.schemas import EventForm, SummaryForm
from app.challenges.models import Challenge
from app.clock import to_local
from app.errors import FieldError, InvalidTransition, ValidationFailed
from app.forms import errors_of, form_values, parse_form, translate_errors
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other
from app.workspace.events.exports import attendees_csv

router = APIRouter()
BASE = "/manage/challenges/{slug}/events"
MACHINES = {"event_machine": EVENT_MACHINE, "registration_machine": REGISTRATION_MACHINE, "kind_labels": KIND_LABELS}
TIMES = ("starts_at", "ends_at", "registration_deadline_at")


def _values_of(event: MarketEvent) -> dict[str, Any]:
    """The event as the form shows it: Dutch wall-clock times for ``datetime-local`` fields."""
    values = {name: getattr(event, name) for name in EventForm.model_fields if name not in TIMES}
    values.update({name: to_local(getattr(event, name)).strftime("%Y-%m-%dT%H:%M") for name in TIMES})
    values.update(summary_nl=event.summary_nl, summary_en=event.summary_en)
    return values


@router.get(BASE, name="manage_events")
def manage_events(request: Request, challenge: ManagedChallenge, db: DbSession) -> Response:
    events = service.list_events(db, challenge_id=challenge.id)
    taken = service.places_taken(db, event_ids=[event.id for event in events])
    context = {"challenge": challenge, "events": events, "taken": taken, **MACHINES}
    return render(request, "challenges/manage/events/list.html", context)


def _form_page(
    request: Request,
    challenge: Challenge,
    *,
    language: str,
    values: dict[str, Any],
    errors: list[FieldError] | None = None,
    event: MarketEvent | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "challenge": challenge,
        "event": event,
        "values": values,
        "errors": translate_errors(language, errors or []),
        "kinds": [(kind, label) for kind, label in KIND_LABELS.items()],
    }
    return render(request, "challenges/manage/events/form.html", context, status_code=status_code)


@router.get(BASE + "/new", name="manage_event_new")
def manage_event_new(request: Request, challenge: ManagedChallenge, language: Language) -> Response:
    return _form_page(request, challenge, language=language, values={"capacity": "50"})


@router.post(BASE + "/new")
def manage_event_create(
    request: Request, posted: PostedForm, challenge: ManagedChallenge, db: DbSession, now: Now, language: Language,
    user: StaffUser,
) -> Response:  # fmt: skip
    values = form_values(posted)
    form, errors = parse_form(EventForm, values)
    if form is not None:
        try:
            event = service.create_event(db, challenge=challenge, form=form, actor=actor_of(request, user), now=now)
            db.commit()
            return see_other(request, "manage_event", slug=challenge.slug, event_id=event.id)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
    return _form_page(request, challenge, language=language, values=values, errors=errors, status_code=422)


def _event_page(
    request: Request,
    db: Session,
    challenge: Challenge,
    event: MarketEvent,
    *,
    language: str,
    values: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "challenge": challenge,
        "event": event,
        "values": values or _values_of(event),
        "errors": translate_errors(language, errors or []),
        "kinds": list(KIND_LABELS.items()),
        "attendees": service.list_attendees(db, event_id=event.id),
        "taken": service.places_taken(db, event_ids=[event.id]).get(event.id, 0),
        "EventStatus": EventStatus,
        **MACHINES,
    }
    return render(request, "challenges/manage/events/detail.html", context, status_code=status_code)


@router.get(BASE + "/{event_id}", name="manage_event")
def manage_event(
    request: Request, challenge: ManagedChallenge, event_id: int, db: DbSession, language: Language
) -> Response:
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    return _event_page(request, db, challenge, event, language=language)


@router.post(BASE + "/{event_id}")
def manage_event_save(
    request: Request, posted: PostedForm, challenge: ManagedChallenge, event_id: int, db: DbSession, now: Now,
    language: Language, user: StaffUser,
) -> Response:  # fmt: skip
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    values = form_values(posted)
    form, errors = parse_form(EventForm, values)
    if form is not None:
        try:
            service.update_event(
                db, event=event, form=form, actor=actor_of(request, user), now=now, links=request.app.state.links
            )
            db.commit()
            return see_other(request, "manage_event", slug=challenge.slug, event_id=event.id)
        except (ValidationFailed, InvalidTransition) as failed:
            db.rollback()
            errors = errors_of(failed)
            event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    merged = {**_values_of(event), **values}
    return _event_page(request, db, challenge, event, language=language, values=merged, errors=errors, status_code=422)


@router.post(BASE + "/{event_id}/status", name="manage_event_status")
def manage_event_status(
    request: Request, posted: PostedForm, challenge: ManagedChallenge, event_id: int, db: DbSession, now: Now,
    language: Language, user: StaffUser,
) -> Response:  # fmt: skip
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    try:
        target = EventStatus(str(form_values(posted).get("status") or ""))
        service.change_event_status(
            db, event=event, target=target, actor=actor_of(request, user), now=now, links=request.app.state.links
        )
    except (ValueError, InvalidTransition):
        db.rollback()
        event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
        errors = [FieldError("status", InvalidTransition.message)]
        return _event_page(request, db, challenge, event, language=language, errors=errors, status_code=422)
    db.commit()
    return see_other(request, "manage_event", slug=challenge.slug, event_id=event.id)


@router.post(BASE + "/{event_id}/summary", name="manage_event_summary")
def manage_event_summary(
    request: Request, posted: PostedForm, challenge: ManagedChallenge, event_id: int, db: DbSession, now: Now,
    language: Language, user: StaffUser,
) -> Response:  # fmt: skip
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    values = form_values(posted)
    form, errors = parse_form(SummaryForm, values)
    if form is not None:
        try:
            service.publish_summary(db, event=event, form=form, actor=actor_of(request, user), now=now)
            db.commit()
            return see_other(request, "manage_event", slug=challenge.slug, event_id=event.id)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
    merged = {**_values_of(event), **values}
    return _event_page(request, db, challenge, event, language=language, values=merged, errors=errors, status_code=422)


@router.get(BASE + "/{event_id}/attendees.csv", name="manage_event_csv")
def manage_event_csv(
    request: Request, challenge: ManagedChallenge, event_id: int, db: DbSession, language: Language
) -> Response:
    event = service.get_event(db, challenge_id=challenge.id, event_id=event_id)
    data = attendees_csv(service.list_attendees(db, event_id=event.id), language=language)
    name = f"{challenge.slug}-event-{event.id}-attendees.csv"
    return Response(
        data, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )

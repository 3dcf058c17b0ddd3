"""Question pages: ask a question, follow a challenge, the public Nota van Inlichtingen, the coordinator's inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts.dependencies import CurrentAuth, CurrentUser
from app.accounts.models import User
from app.audit import service as audit_service
from app.challenges import service as challenge_service
from app.challenges.dependencies import ManagedChallenge
from app.challenges.models import Challenge
from app.errors import DeadlinePassed, FieldError, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from app.formatting import format_local_datetime
from app.forms import form_values, parse_form, translate_errors
from app.organisations.models import Organisation
from app.questions import permissions, service
from app.questions.enums import EntryStatus
from app.questions.models import NotaEntry
from app.questions.nota import service as nota_service
from app.questions.schemas import AnswerForm, AskForm
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()


def _section_options(challenge: Challenge, language: str) -> list[tuple[str, str]]:
    labels = service.section_labels(challenge_service.current_definition(challenge))
    return [(key, label[language]) for key, label in labels.items()]


# --- asking ---------------------------------------------------------------------------------------


def _ask_page(
    request: Request,
    db: Session,
    *,
    challenge: Challenge,
    user: User,
    now: datetime,
    language: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "challenge": challenge,
        "sections": _section_options(challenge, language),
        "section_names": dict(_section_options(challenge, language)),
        "deadline": permissions.question_deadline(challenge, now),
        "can_ask": permissions.can_ask(challenge, now),
        "mine": service.list_my_questions(db, challenge_id=challenge.id, user_id=user.id),
        "values": values or {},
        "errors": errors or {},
        "done": done if done == "asked" else None,
    }
    return render(request, "questions/ask.html", context, status_code=status_code)


@router.get("/challenges/{slug}/questions", name="question_ask")
def question_ask_form(
    request: Request, slug: str, db: DbSession, now: Now, user: CurrentUser, language: Language, done: str | None = None
) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    return _ask_page(request, db, challenge=challenge, user=user, now=now, language=language, done=done)


@router.post("/challenges/{slug}/questions")
def question_ask(
    request: Request, posted: PostedForm, slug: str, db: DbSession, now: Now, auth: CurrentAuth, language: Language
) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    values = form_values(posted)
    form, errors = parse_form(AskForm, values)
    if form is not None:
        try:
            service.ask_question(
                db,
                challenge=challenge,
                user=auth.user,
                organisation_id=auth.acting_organisation_id,
                text=form.text,
                section=form.section,
                language=language,
                actor=actor_of(request, auth.user),
                now=now,
            )
            db.commit()
            return see_other(request, "question_ask", "done=asked", slug=slug)
        except ValidationFailed as failed:
            errors = failed.errors
        except NotPermitted as refused:
            errors = [FieldError("text", refused.message)]
        except DeadlinePassed as refused:
            deadline = refused.params["deadline"]
            shown = format_local_datetime(deadline, language) if isinstance(deadline, datetime) else ""
            errors = [FieldError("text", refused.message, {"deadline": shown})]
    return _ask_page(
        request,
        db,
        challenge=challenge,
        user=auth.user,
        now=now,
        language=language,
        values=values,
        errors=translate_errors(language, errors),
        status_code=422,
    )


@router.post("/challenges/{slug}/follow", name="challenge_follow")
def challenge_follow(
    request: Request, posted: PostedForm, slug: str, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    values = form_values(posted)
    follow = values.get("follow") != "no"
    service.set_following(db, challenge=challenge, user=user, follow=follow, actor=actor_of(request, user), now=now)
    db.commit()
    return see_other(request, "challenge_detail", fragment="questions", slug=slug)


# --- the public Nota van Inlichtingen -------------------------------------------------------------


def _nota_page(request: Request, db: Session, *, slug: str, number: int | None) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    versions = service.list_versions(db, challenge_id=challenge.id)
    if number is None:
        version = versions[0] if versions else None
    else:
        version = next((v for v in versions if v.number == number), None)
        if version is None:
            raise NotFound()
    context = {
        "challenge": challenge,
        "version": version,
        "versions": versions,
        "latest": bool(versions) and versions[0] is version,
        "head": audit_service.published_head(
            db, occasion="nota.publish", object_type="nota_version", object_id=version.id
        )
        if version
        else None,
    }
    return render(request, "questions/nota.html", context)


@router.get("/challenges/{slug}/nota", name="nota")
def nota(request: Request, slug: str, db: DbSession) -> Response:
    return _nota_page(request, db, slug=slug, number=None)


@router.get("/challenges/{slug}/nota/{number}", name="nota_version")
def nota_version(request: Request, slug: str, number: int, db: DbSession) -> Response:
    return _nota_page(request, db, slug=slug, number=number)


# --- the coordinator's inbox ----------------------------------------------------------------------


def _inbox_page(
    request: Request,
    db: Session,
    *,
    challenge: Challenge,
    language: str,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    items = service.list_inbox(db, challenge_id=challenge.id)
    context = {
        "challenge": challenge,
        "open_items": [item for item in items if item.entry.published_at is None],
        "published_items": [item for item in items if item.entry.published_at is not None],
        "approved_count": sum(1 for item in items if item.entry.status == EntryStatus.APPROVED.value),
        "section_names": dict(_section_options(challenge, language)),
        "latest": service.latest_version(db, challenge_id=challenge.id),
        "errors": errors or {},
        "done": done if done in {"saved", "approved", "published"} else None,
    }
    return render(request, "questions/inbox.html", context, status_code=status_code)


@router.get("/manage/challenges/{slug}/questions", name="question_inbox")
def question_inbox(
    request: Request, challenge: ManagedChallenge, db: DbSession, language: Language, done: str | None = None
) -> Response:
    return _inbox_page(request, db, challenge=challenge, language=language, done=done)


@router.post("/manage/challenges/{slug}/nota/publish", name="nota_publish")
def nota_publish(
    request: Request, challenge: ManagedChallenge, db: DbSession, now: Now, user: CurrentUser, language: Language
) -> Response:
    try:
        nota_service.publish(
            db, challenge=challenge, actor=actor_of(request, user), now=now, links=request.app.state.links
        )
    except ValidationFailed as failed:
        db.rollback()
        return _inbox_page(
            request,
            db,
            challenge=challenge,
            language=language,
            errors=translate_errors(language, failed.errors),
            status_code=422,
        )
    db.commit()
    return see_other(request, "question_inbox", "done=published", slug=challenge.slug)


def _values_of(entry: NotaEntry) -> dict[str, Any]:
    names = ("question_nl", "question_en", "answer_nl", "answer_en")
    return {**{name: getattr(entry, name) for name in names}, "section": entry.section or ""}


def _answer_page(
    request: Request,
    db: Session,
    *,
    challenge: Challenge,
    entry: NotaEntry,
    language: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    asker = db.get(User, entry.asker_id) if entry.asker_id else None
    organisation = db.get(Organisation, entry.organisation_id) if entry.organisation_id else None
    context = {
        "challenge": challenge,
        "entry": entry,
        "asker": asker,
        "organisation": organisation,
        "editable": permissions.can_edit_entry(entry),
        "sections": _section_options(challenge, language),
        "section_names": dict(_section_options(challenge, language)),
        "values": values if values is not None else _values_of(entry),
        "errors": errors or {},
    }
    return render(request, "questions/answer.html", context, status_code=status_code)


@router.get("/manage/challenges/{slug}/questions/{entry_id}", name="question_answer")
def question_answer_form(
    request: Request, challenge: ManagedChallenge, entry_id: int, db: DbSession, language: Language
) -> Response:
    entry = service.get_entry(db, challenge_id=challenge.id, entry_id=entry_id)
    return _answer_page(request, db, challenge=challenge, entry=entry, language=language)


@router.post("/manage/challenges/{slug}/questions/{entry_id}")
def question_answer(
    request: Request,
    posted: PostedForm,
    challenge: ManagedChallenge,
    entry_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    language: Language,
) -> Response:
    entry = service.get_entry(db, challenge_id=challenge.id, entry_id=entry_id)
    values = form_values(posted)
    approve = values.pop("action", "save") == "approve"
    form, errors = parse_form(AnswerForm, values)
    if form is not None:
        try:
            service.save_answer(
                db, challenge=challenge, entry=entry, form=form, approve=approve, actor=actor_of(request, user), now=now
            )
            db.commit()
            return see_other(
                request, "question_inbox", "done=" + ("approved" if approve else "saved"), slug=challenge.slug
            )
        except ValidationFailed as failed:
            errors = failed.errors
        except InvalidTransition as refused:
            errors = [FieldError("__all__", refused.message)]
        db.rollback()
        entry = service.get_entry(db, challenge_id=challenge.id, entry_id=entry_id)
    messages = translate_errors(language, errors)
    return _answer_page(
        request,
        db,
        challenge=challenge,
        entry=entry,
        language=language,
        values=values,
        errors=messages,
        status_code=422,
    )

"""Administrators' pages under /manage: coordinators per challenge and the taxonomy lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.accounts.models import User
from app.challenges.dependencies import ManagedChallenge
from app.challenges.enums import TaxonomyKind
from app.challenges.schemas import TaxonomyTermForm
from app.errors import FieldError, ValidationFailed
from app.forms import form_values, parse_form, translate_errors
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other
from app.workspace.administration import service as administration
from app.workspace.challenges.views import challenge_page

router = APIRouter()


# --- coordinators (administrators) --------------------------------------------------------------------


@router.post("/manage/challenges/{slug}/coordinators", name="manage_coordinator_add")
def manage_coordinator_add(
    request: Request,
    posted: PostedForm,
    challenge: ManagedChallenge,
    db: DbSession,
    now: Now,
    language: Language,
    user: AdminUser,
) -> Response:
    values = form_values(posted)
    try:
        administration.assign_coordinator(
            db, challenge=challenge, email=str(values.get("email") or ""), actor=actor_of(request, user), now=now
        )
    except ValidationFailed as failed:
        db.rollback()
        errors = [FieldError("coordinator_email", e.message, e.params) for e in failed.errors]
        return challenge_page(
            request,
            db,
            challenge,
            now=now,
            language=language,
            errors=errors,
            values={"coordinator_email": values.get("email", "")},
            status_code=422,
        )
    db.commit()
    return see_other(request, "manage_challenge", slug=challenge.slug)


@router.post("/manage/challenges/{slug}/coordinators/{user_id}/remove", name="manage_coordinator_remove")
def manage_coordinator_remove(
    request: Request, challenge: ManagedChallenge, user_id: int, db: DbSession, now: Now, user: AdminUser
) -> Response:
    administration.remove_coordinator(db, challenge=challenge, user_id=user_id, actor=actor_of(request, user), now=now)
    db.commit()
    return see_other(request, "manage_challenge", slug=challenge.slug)


# --- taxonomies (administrators) --------------------------------------------------------------------


def _taxonomy_page(
    request: Request,
    db: DbSession,
    *,
    language: str,
    values: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    term: Any = None,
    status_code: int = 200,
) -> Response:
    context = {
        "terms": administration.list_terms(db),
        "term": term,
        "values": values or {"kind": "nld", "active": "1"},
        "errors": translate_errors(language, errors or []),
    }
    return render(request, "challenges/manage/taxonomy.html", context, status_code=status_code)


@router.get("/manage/taxonomy", name="manage_taxonomy")
def manage_taxonomy(request: Request, db: DbSession, language: Language, user: AdminUser) -> Response:
    return _taxonomy_page(request, db, language=language)


@router.get("/manage/taxonomy/{term_id}", name="manage_taxonomy_term")
def manage_taxonomy_term(
    request: Request, term_id: int, db: DbSession, language: Language, user: AdminUser
) -> Response:
    term = administration.get_term(db, term_id=term_id)
    values = {
        "kind": term.kind,
        "key": term.key,
        "name_nl": term.name_nl,
        "name_en": term.name_en,
        "position": str(term.position),
        "active": "1" if term.active else "",
    }
    return _taxonomy_page(request, db, language=language, values=values, term=term)


@router.post("/manage/taxonomy", name="manage_taxonomy_create")
def manage_taxonomy_create(
    request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language, user: AdminUser
) -> Response:
    return _save_term(request, db, now=now, language=language, user=user, term_id=None, posted=posted)


@router.post("/manage/taxonomy/{term_id}", name="manage_taxonomy_update")
def manage_taxonomy_update(
    request: Request, posted: PostedForm, term_id: int, db: DbSession, now: Now, language: Language, user: AdminUser
) -> Response:
    return _save_term(request, db, now=now, language=language, user=user, term_id=term_id, posted=posted)


def _save_term(
    request: Request, db: DbSession, *, now: datetime, language: str, user: User, term_id: int | None, posted: FormData
) -> Response:
    term = administration.get_term(db, term_id=term_id) if term_id is not None else None
    values = form_values(posted)
    values.setdefault("active", "")
    form, errors = parse_form(TaxonomyTermForm, {**values, "active": values.get("active") == "1"})
    if form is not None:
        try:
            administration.save_term(
                db,
                term=term,
                kind=TaxonomyKind(form.kind),
                key=form.key,
                name_nl=form.name_nl,
                name_en=form.name_en,
                position=form.position,
                active=form.active,
                actor=actor_of(request, user),
                now=now,
            )
            db.commit()
            return see_other(request, "manage_taxonomy")
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
            term = administration.get_term(db, term_id=term_id) if term_id is not None else None
    return _taxonomy_page(request, db, language=language, values=values, errors=errors, term=term, status_code=422)

"""Coordinator pages under ``/manage``: the dashboard, a challenge's page, the definition form and the lifecycle.

Deadline extensions are in ``app.workspace.corrections.views``, the administrators' pages (coordinators,
taxonomies) in ``app.workspace.administration.views``."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts.dependencies import CoordinatorUser
from app.challenges import service as challenge_service
from app.challenges.definitions import to_toml
from app.challenges.dependencies import ManagedChallenge
from app.challenges.enums import CHALLENGE_MACHINE, ChallengeStatus, TaxonomyKind
from app.challenges.models import Challenge
from app.challenges.permissions import is_administrator
from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError, InvalidTransition, ValidationFailed
from app.evaluations.publication import service as publication_service
from app.evaluations.route import service as route_service
from app.forms import form_values, translate_errors
from app.i18n import N_
from app.questions import service as question_service
from app.security import body_limit
from app.web import (
    SMALL_UPLOAD_LIMIT,
    AppSettings,
    DbSession,
    Language,
    Now,
    PostedForm,
    SmallUpload,
    actor_of,
    moved_permanently,
    render,
    see_other,
)
from app.workspace.administration import service as administration
from app.workspace.challenges import forms
from app.workspace.challenges import service as manage
from app.workspace.corrections import service as corrections
from app.workspace.lifecycle import service as lifecycle

router = APIRouter()

MAX_DEFINITION_BYTES = 256 * 1024


# --- old links by numeric id -------------------------------------------------------------------------
# The workspace's pages were /manage/challenges/{id}/... before they were keyed by slug, and e-mails and
# bookmarks still hold such links. Declared before the slug routes; a slug is never digits alone (the
# definition schema refuses it), so an id cannot be taken for a slug.
OLD_PAGES = {
    "": "manage_challenge",
    "/edit": "manage_challenge_edit",
    "/preview": "manage_challenge_preview",
    "/definition.toml": "manage_challenge_download",
    "/extend": "manage_challenge_extend",
}


def _moved(route: str) -> Callable[..., Response]:
    def moved(request: Request, challenge_id: int, db: DbSession, user: CoordinatorUser) -> Response:
        """308 to the page's slug URL for a user who manages the challenge; 404 for anyone else (ids leak no slugs)."""
        challenge = manage.get_managed_challenge(db, challenge_id=challenge_id, user=user)
        return moved_permanently(request, route, slug=challenge.slug)

    return moved


for _suffix, _route in OLD_PAGES.items():
    router.add_api_route(
        "/manage/challenges/{challenge_id:int}" + _suffix,
        _moved(_route),
        methods=["GET"],
        name=f"{_route}_by_id",
        include_in_schema=False,
    )


# --- dashboard ----------------------------------------------------------------------------------


@router.get("/manage", name="manage_dashboard")
def manage_dashboard(
    request: Request, db: DbSession, now: Now, user: CoordinatorUser, settings: AppSettings
) -> Response:
    challenges = manage.list_managed_challenges(db, user=user)
    context = {
        "challenges": challenges,
        "adv_threshold_missing": route_service.day_without_threshold(settings.adv_threshold_periods(), now=now),
        "current": {c.id: challenge_service.current_stage(c, now) for c in challenges},
        "public_phases": {c.id: challenge_service.public_phase(c, now) for c in challenges},
    }
    return render(request, "challenges/manage/dashboard.html", context)


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
    """A challenge's page in the workspace, also re-rendered with the errors of a form on it."""
    current = ChallengeStatus(challenge.status)
    context = {
        "challenge": challenge,
        "dashboard": manage.challenge_dashboard(db, challenge=challenge, now=now),
        "problems": manage.publication_problems(db, challenge=challenge, now=now)
        if current == ChallengeStatus.DRAFT
        else [],
        "transitions": sorted(
            s.value for s in CHALLENGE_MACHINE.transitions[current] if s != ChallengeStatus.PUBLISHED
        ),
        "errors": translate_errors(language, errors or []),
        "values": values or {},
        "is_admin": is_administrator(request.state.auth.user if request.state.auth else None),
    }
    context["public_phase"] = challenge_service.public_phase(challenge, now)
    context["publication"] = publication_service.current_choice(db, challenge_id=challenge.id)
    return render(request, "challenges/manage/challenge.html", context, status_code=status_code)


@router.post("/manage/challenges/{slug}/publish", name="manage_challenge_publish")
def manage_challenge_publish(
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
        manage.publish_challenge(
            db, challenge=challenge, reason=values.get("reason"), actor=actor_of(request, user), now=now
        )
    except ValidationFailed as failed:
        db.rollback()
        return challenge_page(
            request, db, challenge, now=now, language=language, errors=failed.errors, values=values, status_code=422
        )
    db.commit()
    return see_other(request, "manage_challenge", slug=challenge.slug)


@router.post("/manage/challenges/{slug}/status", name="manage_challenge_status")
def manage_challenge_status(
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
        to = ChallengeStatus(str(values.get("status_to", "")))
    except ValueError:
        to = None
    try:
        if to is None:
            raise ValidationFailed([FieldError("to", N_("Choose one of the options."))])
        reason = str(values.get("status_reason", ""))
        lifecycle.change_status(
            db,
            challenge=challenge,
            to=to,
            reason=reason,
            actor=actor_of(request, user),
            now=now,
            links=request.app.state.links,
        )
    except (ValidationFailed, InvalidTransition) as failed:
        db.rollback()
        found = failed.errors if isinstance(failed, ValidationFailed) else [FieldError("to", failed.message)]
        errors = [FieldError(f"status_{e.path}", e.message, e.params) for e in found]
        return challenge_page(
            request, db, challenge, now=now, language=language, errors=errors, values=values, status_code=422
        )
    db.commit()
    return see_other(request, "manage_challenge", slug=challenge.slug)


# --- the definition form: new, copy, upload, edit, correct -----------------------------------------


def _form_page(
    request: Request,
    db: DbSession,
    *,
    raw: dict[str, Any],
    mode: str,
    language: str,
    challenge: Challenge | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    terms = administration.list_terms(db, active_only=True)
    context = {
        "raw": raw,
        "values": forms.flatten(raw),
        "mode": mode,
        "challenge": challenge,
        "errors": translate_errors(language, errors or []),
        "nld_terms": [t for t in terms if t.kind == TaxonomyKind.NLD.value],
        "basis_terms": [t for t in terms if t.kind == TaxonomyKind.BASIS.value],
        "question_types": list(forms.QUESTION_TYPE_LABELS.items()),
        "type_fields": forms.TYPE_FIELDS,
        "document_types": forms.DOCUMENT_TYPES,
        "copyable": manage.list_managed_challenges(db, user=request.state.auth.user) if mode == "new" else [],
        **(extra or {}),
    }
    return render(request, "challenges/manage/form.html", context, status_code=status_code)


def _posted(request: Request, *, posted: FormData) -> tuple[dict[str, Any], str, dict[str, Any]]:
    values = form_values(posted)
    action = str(values.get("action") or "save")
    return forms.nest(values), action, values


@router.get("/manage/challenges/new", name="manage_challenge_new")
def manage_challenge_new(
    request: Request, db: DbSession, language: Language, user: CoordinatorUser, copy: int | None = None
) -> Response:
    raw = forms.blank_form()
    if copy is not None:
        source = manage.get_copyable_challenge(db, challenge_id=copy, user=user)
        raw = forms.definition_to_raw(challenge_service.current_definition(source))
        raw["slug"] = f"{source.slug}-copy"[:80]
    return _form_page(request, db, raw=raw, mode="new", language=language)


@router.post("/manage/challenges/new", name="manage_challenge_create")
def manage_challenge_create(
    request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language, user: CoordinatorUser
) -> Response:
    raw, action, _ = _posted(request, posted=posted)
    if action != "save":
        forms.apply_action(raw, action)
        return _form_page(request, db, raw=raw, mode="new", language=language)
    definition, errors = forms.parse_raw(raw)
    if definition is not None:
        try:
            challenge = manage.create_challenge(
                db, definition=definition, user=user, actor=actor_of(request, user), now=now
            )
            db.commit()
            return see_other(request, "manage_challenge", slug=challenge.slug)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
    return _form_page(request, db, raw=raw, mode="new", language=language, errors=errors, status_code=422)


@router.get("/manage/challenges/{slug}", name="manage_challenge")
def manage_challenge(
    request: Request, challenge: ManagedChallenge, db: DbSession, now: Now, language: Language
) -> Response:
    return challenge_page(request, db, challenge, now=now, language=language)


@router.post("/manage/challenges/upload", name="manage_challenge_upload")
@body_limit(SMALL_UPLOAD_LIMIT)
def manage_challenge_upload(
    request: Request, posted: SmallUpload, db: DbSession, language: Language, user: CoordinatorUser
) -> Response:
    """Fill the new-challenge form from a definition file; nothing is stored until the form is saved."""
    if posted is None:
        return _upload_error(request, db, language, N_("The file is larger than 256 KB."))
    upload = posted.get("definition")
    if upload is None or isinstance(upload, str):
        return _upload_error(request, db, language, N_("Choose a definition file (TOML)."))
    content = upload.file.read(MAX_DEFINITION_BYTES + 1)
    if len(content) > MAX_DEFINITION_BYTES:
        return _upload_error(request, db, language, N_("The file is larger than 256 KB."))
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return _upload_error(request, db, language, N_("The file is not a valid TOML definition file."))
    definition, errors = _validate_data(data)
    raw = forms.definition_to_raw(definition) if definition is not None else _raw_from_data(data)
    return _form_page(
        request, db, raw=raw, mode="new", language=language, errors=errors, status_code=422 if errors else 200
    )


def _validate_data(data: dict[str, Any]) -> tuple[ChallengeDefinition | None, list[FieldError]]:
    from pydantic import ValidationError

    try:
        return ChallengeDefinition.model_validate(data), []
    except ValidationError as error:
        return None, forms.definition_errors(error)


def _raw_from_data(data: dict[str, Any]) -> dict[str, Any]:
    """An invalid file's content in the form as far as it goes, so the coordinator can fix it there."""
    try:
        raw = forms.nest(forms.flatten(forms._strings(data)))
    except (AttributeError, TypeError, ValueError):
        raw = {}
    blank = forms.blank_form()
    for key, value in blank.items():
        raw.setdefault(key, value)
    return raw


def _upload_error(request: Request, db: DbSession, language: str, message: str) -> Response:
    return _form_page(
        request,
        db,
        raw=forms.blank_form(),
        mode="new",
        language=language,
        errors=[FieldError("definition", message)],
        status_code=422,
    )


@router.get("/manage/challenges/{slug}/edit", name="manage_challenge_edit")
def manage_challenge_edit(request: Request, challenge: ManagedChallenge, db: DbSession, language: Language) -> Response:
    mode = "edit" if challenge.status == ChallengeStatus.DRAFT.value else "correct"
    raw = forms.definition_to_raw(challenge_service.current_definition(challenge))
    return _form_page(request, db, raw=raw, mode=mode, language=language, challenge=challenge)


@router.post("/manage/challenges/{slug}/edit", name="manage_challenge_save")
def manage_challenge_save(
    request: Request,
    posted: PostedForm,
    challenge: ManagedChallenge,
    db: DbSession,
    now: Now,
    language: Language,
    settings: AppSettings,
    user: CoordinatorUser,
) -> Response:
    """Save a draft, or (after publication) make a correction with a reason."""
    mode = "edit" if challenge.status == ChallengeStatus.DRAFT.value else "correct"
    raw, action, values = _posted(request, posted=posted)
    reason = str(values.get("_reason") or "")
    extra = {"reason": reason}
    if action != "save":
        forms.apply_action(raw, action)
        return _form_page(request, db, raw=raw, mode=mode, language=language, challenge=challenge, extra=extra)
    definition, errors = forms.parse_raw(raw)
    if definition is not None:
        try:
            if mode == "edit":
                manage.update_draft(
                    db, challenge=challenge, definition=definition, actor=actor_of(request, user), now=now
                )
            else:
                corrections.correct_challenge(
                    db,
                    challenge=challenge,
                    definition=definition,
                    reason=reason,
                    actor=actor_of(request, user),
                    now=now,
                    extension_days=settings.correction_extension_days,
                    links=request.app.state.links,
                )
            db.commit()
            return see_other(request, "manage_challenge", slug=challenge.slug)
        except ValidationFailed as failed:
            db.rollback()
            errors = [
                FieldError("_reason" if e.path == "reason" else e.path, e.message, e.params) for e in failed.errors
            ]
    return _form_page(
        request,
        db,
        raw=raw,
        mode=mode,
        language=language,
        challenge=challenge,
        errors=errors,
        extra=extra,
        status_code=422,
    )


@router.get("/manage/challenges/{slug}/preview", name="manage_challenge_preview")
def manage_challenge_preview(request: Request, challenge: ManagedChallenge, db: DbSession, now: Now) -> Response:
    """The public page exactly as a company will see it, with a banner saying it is a preview."""
    definition = challenge_service.current_definition(challenge)
    context = {
        "challenge": challenge,
        "definition": definition,
        "stages": list(zip(challenge.stages, definition.stages, strict=True)),
        "phase": challenge_service.phase_of(challenge, now),
        "current": challenge_service.current_stage(challenge, now),
        "total_weight": sum(c.weight for c in definition.criteria),
        "preview": True,
        "questions": _public_questions(db, challenge, now),
    }
    return render(request, "challenges/manage/preview.html", context)


def _public_questions(db: DbSession, challenge: Challenge, now: datetime) -> Any:
    """The questions section as an anonymous visitor sees it (the public page's own context)."""
    return question_service.challenge_page(db, challenge=challenge, user=None, now=now)


@router.get("/manage/challenges/{slug}/definition.toml", name="manage_challenge_download")
def manage_challenge_download(request: Request, challenge: ManagedChallenge) -> Response:
    body = to_toml(challenge_service.current_definition(challenge))
    return Response(
        body,
        media_type="application/toml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{challenge.slug}.toml"'},
    )

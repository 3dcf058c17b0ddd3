"""Administrator pages: find users and grant or revoke staff roles. Everyone else gets a 404."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.accounts.enums import ACCOUNT_MACHINE, Role
from app.accounts.models import User
from app.admin import service
from app.admin.two_factor_reset import service as resets
from app.challenges.areas import service as area_service
from app.errors import FieldError
from app.evaluations.route import service as route_service
from app.forms import form_values, parse_form, translate_errors
from app.organisations.regions import service as region_service
from app.web import AppSettings, DbSession, Language, Now, PostedForm, actor_of, render

router = APIRouter(prefix="/admin")
DONE_FLAGS = frozenset(
    {
        "granted",
        "revoked",
        "unchanged",
        "blocked",
        "unblocked",
        "reset_requested",
        "reset_approved",
        "reset_cancelled",
        "areas",
    }
)


class RoleForm(BaseModel):
    role: Role


def user_detail_page(
    request: Request,
    db: Session,
    user: User,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    values: Any = None,
    status_code: int | None = None,
) -> Response:
    """One user's page: roles, the account's status (block, unblock), a reset of the second factor, and a
    coordinator's regional team and NLD-gebieden."""
    held = [term.id for term in area_service.list_areas_of_user(db, user_id=user.id)]
    context = {
        "user": user,
        "region": region_service.region_of_user(db, user_id=user.id),
        "area_choices": area_service.area_choices(db, user_id=user.id),
        "held_areas": held,
        "chosen_areas": (values or {}).get("areas", held),
        "roles": list(Role),
        "done": done if done in DONE_FLAGS else None,
        "errors": errors or {},
        "values": values or {},
        "account_machine": ACCOUNT_MACHINE,
        "open_reset": resets.open_reset_for(db, user_id=user.id),
    }
    return render(request, "admin/user_detail.html", context, status_code=status_code or (422 if errors else 200))


def _messages(language: str, errors: list[FieldError], *, grant: bool) -> dict[str, str]:
    # A revoke button has no field of its own to point at: its message goes in the summary only.
    translated = translate_errors(language, errors)
    if grant or not translated:
        return translated
    return {"__all__": next(iter(translated.values()))}


@router.get("/users", name="admin_users")
def admin_users(
    request: Request, admin: AdminUser, db: DbSession, now: Now, settings: AppSettings, q: str | None = None
) -> Response:
    query = (q or "").strip()[:200]
    users = service.list_users(db, query=query or None)
    missing = route_service.day_without_threshold(settings.adv_threshold_periods(), now=now)
    context = {"users": users, "q": query, "limit": service.MAX_LISTED, "adv_threshold_missing": missing}
    return render(request, "admin/users.html", context)


@router.get("/users/{user_id}", name="admin_user_detail")
def admin_user_detail(
    request: Request, user_id: int, admin: AdminUser, db: DbSession, done: str | None = None
) -> Response:
    return user_detail_page(request, db, service.get_user(db, user_id=user_id), done=done)


def _change_role(
    request: Request,
    user_id: int,
    admin: User,
    db: DbSession,
    now: Any,
    language: str,
    *,
    grant: bool,
    posted: FormData,
) -> Response:
    user = service.get_user(db, user_id=user_id)
    values = form_values(posted)
    form, errors = parse_form(RoleForm, values)
    if form is None:
        return user_detail_page(request, db, user, errors=_messages(language, errors, grant=grant), values=values)
    change = service.grant_role if grant else service.revoke_role
    try:
        changed = change(db, user=user, role=form.role, actor=actor_of(request, admin), now=now)
    except service.LastAdministrator as error:
        db.rollback()
        user = service.get_user(db, user_id=user_id)
        messages = _messages(language, [FieldError("role", error.message)], grant=grant)
        return user_detail_page(request, db, user, errors=messages, values=values)
    db.commit()
    done = ("granted" if grant else "revoked") if changed else "unchanged"
    target = request.url_for("admin_user_detail", user_id=user.id).include_query_params(done=done)
    return RedirectResponse(target.path + "?" + target.query, status_code=303)


@router.post("/users/{user_id}/roles", name="admin_grant_role")
def admin_grant_role(
    request: Request, posted: PostedForm, user_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    return _change_role(request, user_id, admin, db, now, language, grant=True, posted=posted)


@router.post("/users/{user_id}/roles/revoke", name="admin_revoke_role")
def admin_revoke_role(
    request: Request, posted: PostedForm, user_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    return _change_role(request, user_id, admin, db, now, language, grant=False, posted=posted)

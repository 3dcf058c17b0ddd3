"""Four eyes on a second factor: the request on the account's page, and the list of requests that await a second
administrator's approval, with approve and cancel. Everyone else gets a 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.admin import service as admin_service
from app.admin.two_factor_reset import service
from app.admin.two_factor_reset.enums import RESET_MACHINE
from app.admin.views import user_detail_page
from app.errors import FieldError, ValidationFailed
from app.forms import translate_errors
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter(prefix="/admin")
DONE_FLAGS = frozenset({"approved", "cancelled"})


def _list_page(
    request: Request, db: DbSession, admin: AdminUser, *, done: str | None = None, errors: dict[str, str] | None = None
) -> Response:
    context = {
        "resets": service.list_open_resets(db),
        "reset_machine": RESET_MACHINE,
        "admin": admin,
        "done": done if done in DONE_FLAGS else None,
        "errors": errors or {},
    }
    return render(request, "admin/two_factor_resets.html", context, status_code=422 if errors else 200)


@router.get("/two-factor-resets", name="admin_two_factor_resets")
def admin_two_factor_resets(request: Request, admin: AdminUser, db: DbSession, done: str | None = None) -> Response:
    return _list_page(request, db, admin, done=done)


@router.post("/users/{user_id}/two-factor-reset", name="admin_two_factor_reset_request")
def admin_two_factor_reset_request(
    request: Request, posted: PostedForm, user_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    reason = str(posted.get("reset_reason", ""))
    try:
        service.request_reset(db, user_id=user_id, reason=reason, actor=actor_of(request, admin), now=now)
    except ValidationFailed as failed:
        errors = failed.errors
    except (service.NothingToReset, service.ResetPending) as error:
        errors = [FieldError("__all__", error.message)]
    else:
        db.commit()
        return see_other(request, "admin_user_detail", query="done=reset_requested", user_id=user_id)
    db.rollback()
    user = admin_service.get_user(db, user_id=user_id)
    values = {"reset_reason": reason}
    return user_detail_page(request, db, user, errors=translate_errors(language, errors), values=values)


def _decide(
    request: Request, reset_id: int, admin: AdminUser, db: DbSession, now: Now, language: str, *, approve: bool
) -> Response:
    decide = service.approve_reset if approve else service.cancel_reset
    try:
        decide(db, reset_id=reset_id, actor=actor_of(request, admin), now=now)
    except (service.OwnRequest, service.OwnFactor, service.NoLongerOpen) as error:
        db.rollback()
        return _list_page(request, db, admin, errors=translate_errors(language, [FieldError("__all__", error.message)]))
    db.commit()
    return see_other(request, "admin_two_factor_resets", query="done=approved" if approve else "done=cancelled")


@router.post("/two-factor-resets/{reset_id}/approve", name="admin_two_factor_reset_approve")
def admin_two_factor_reset_approve(
    request: Request, posted: PostedForm, reset_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    return _decide(request, reset_id, admin, db, now, language, approve=True)


@router.post("/two-factor-resets/{reset_id}/cancel", name="admin_two_factor_reset_cancel")
def admin_two_factor_reset_cancel(
    request: Request, posted: PostedForm, reset_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    return _decide(request, reset_id, admin, db, now, language, approve=False)

"""Blocking and unblocking an account from its page in the administration. Everyone else gets a 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.admin import service as admin_service
from app.admin.blocking import service
from app.admin.views import user_detail_page
from app.errors import FieldError, ValidationFailed
from app.forms import translate_errors
from app.web import DbSession, Language, Now, PostedForm, actor_of, see_other

router = APIRouter(prefix="/admin")


def _change(
    request: Request,
    posted: PostedForm,
    user_id: int,
    admin: AdminUser,
    db: DbSession,
    now: Now,
    language: str,
    *,
    block: bool,
) -> Response:
    reason = str(posted.get("reason", ""))
    change = service.block_user if block else service.unblock_user
    try:
        change(db, user_id=user_id, reason=reason, actor=actor_of(request, admin), now=now)
    except ValidationFailed as failed:
        errors = failed.errors
    except (service.CannotBlockSelf, service.AlreadyThere) as error:
        errors = [FieldError("__all__", error.message)]
    else:
        db.commit()
        return see_other(
            request, "admin_user_detail", query="done=blocked" if block else "done=unblocked", user_id=user_id
        )
    db.rollback()
    user = admin_service.get_user(db, user_id=user_id)
    return user_detail_page(request, db, user, errors=translate_errors(language, errors), values={"reason": reason})


@router.post("/users/{user_id}/block", name="admin_user_block")
def admin_user_block(
    request: Request, posted: PostedForm, user_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    return _change(request, posted, user_id, admin, db, now, language, block=True)


@router.post("/users/{user_id}/unblock", name="admin_user_unblock")
def admin_user_unblock(
    request: Request, posted: PostedForm, user_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    return _change(request, posted, user_id, admin, db, now, language, block=False)

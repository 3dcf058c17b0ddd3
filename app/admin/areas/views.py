"""Administrators set a coordinator's NLD-gebieden on the user's page: ``POST /admin/users/{user_id}/areas``.
Everyone else gets a 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.admin import service
from app.admin.views import user_detail_page
from app.challenges.areas import service as area_service
from app.errors import ValidationFailed
from app.forms import ticked_ids, translate_errors
from app.web import DbSession, Language, Now, PostedForm, actor_of

router = APIRouter(prefix="/admin")


@router.post("/users/{user_id}/areas", name="admin_user_areas")
def admin_user_areas(
    request: Request, posted: PostedForm, user_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    user = service.get_user(db, user_id=user_id)
    chosen = ticked_ids(posted, "areas")
    try:
        area_service.set_coordinator_areas(db, user=user, term_ids=chosen, actor=actor_of(request, admin), now=now)
    except ValidationFailed as failed:
        db.rollback()
        user = service.get_user(db, user_id=user_id)
        errors = translate_errors(language, failed.errors)
        return user_detail_page(request, db, user, errors=errors, values={"areas": chosen})
    db.commit()
    target = request.url_for("admin_user_detail", user_id=user.id).include_query_params(done="areas")
    return RedirectResponse(target.path + "?" + target.query + "#areas", status_code=303)

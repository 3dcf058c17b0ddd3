"""The account's privacy pages: download one's own data, delete one's account."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentAuth
from app.accounts.views import drop_session_cookie
from app.errors import ValidationFailed
from app.forms import form_values, translate_errors
from app.i18n import translate
from app.ops.privacy import exports, service
from app.proposals.archives.views import zip_response
from app.security import SMALL_FORM, body_limit
from app.web import AppSettings, DbSession, Language, Now, PostedForm, client_ip, render

router = APIRouter()


@router.post("/account/data", name="account_data_export")
@body_limit(SMALL_FORM)
def account_data_export(request: Request, db: DbSession, auth: CurrentAuth, now: Now, language: Language) -> Response:
    handle = exports.export_data(db, user_id=auth.user_id, language=language, ip=client_ip(request), now=now)
    try:
        db.commit()
    except BaseException:
        handle.close()
        raise
    return zip_response(handle, f"{translate(language, 'my-data')}-{now.date().isoformat()}.zip")


def _delete_page(
    request: Request, db: DbSession, auth: CurrentAuth, language: str, errors: dict[str, str], status_code: int = 200
) -> Response:
    def translated(notices: list[service.Notice]) -> list[str]:
        return [translate(language, n.message, **n.params) for n in notices]

    context = {
        "blockers": translated(service.deletion_blockers(db, user=auth.user)),
        "notices": translated(service.deletion_notices(db, user=auth.user)),
        "errors": errors,
    }
    return render(request, "accounts/delete.html", context, status_code=status_code)


@router.get("/account/delete", name="account_delete")
def account_delete_form(request: Request, db: DbSession, auth: CurrentAuth, language: Language) -> Response:
    return _delete_page(request, db, auth, language, {})


@router.post("/account/delete")
@body_limit(SMALL_FORM)
def account_delete(
    request: Request,
    posted: PostedForm,
    db: DbSession,
    auth: CurrentAuth,
    now: Now,
    language: Language,
    settings: AppSettings,
) -> Response:
    password = form_values(posted).get("password")
    try:
        service.delete_account(
            db,
            user_id=auth.user_id,
            password=password if isinstance(password, str) else "",
            ip=client_ip(request),
            now=now,
        )
    except ValidationFailed as failure:
        db.rollback()
        return _delete_page(request, db, auth, language, translate_errors(language, failure.errors), status_code=422)
    db.commit()
    response = render(request, "accounts/deleted.html")
    drop_session_cookie(response, settings)
    return response

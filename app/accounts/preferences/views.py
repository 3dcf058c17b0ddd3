"""The account page's setting of the language the portal's e-mails are written in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentAuth
from app.accounts.preferences import service
from app.accounts.preferences.schemas import LanguageForm
from app.accounts.views import account_page
from app.forms import form_values, parse_form, translate_errors
from app.security import SMALL_FORM, body_limit
from app.web import DbSession, Language, Now, PostedForm, actor_of, see_other

router = APIRouter()


@router.post("/account/language", name="account_language")
@body_limit(SMALL_FORM)
def account_language(
    request: Request, posted: PostedForm, db: DbSession, auth: CurrentAuth, now: Now, language: Language
) -> Response:
    form, errors = parse_form(LanguageForm, form_values(posted))
    if form is None:
        language_errors = translate_errors(language, errors)
        return account_page(request, db, auth, language, status_code=422, language_errors=language_errors)
    service.change_language(
        db, user_id=auth.user_id, language=form.mail_language, actor=actor_of(request, auth.user), now=now
    )
    db.commit()
    return see_other(request, "account", query="saved=language")

"""``/receipts``: anyone checks a receipt code without logging in (``service`` says what the answer holds)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.mail_throttle import TooManyRequests
from app.errors import DomainError, FieldError
from app.forms import form_values, translate_errors
from app.public.receipts import service
from app.security import SMALL_FORM, body_limit
from app.web import DbSession, Language, Now, PostedForm, client_ip, render

router = APIRouter()
PAGE = "public/receipts.html"


def _page(
    request: Request, language: str, *, code: str = "", error: DomainError | None = None, status_code: int = 200
) -> Response:
    field = "__all__" if isinstance(error, TooManyRequests) else "code"
    errors = translate_errors(language, [FieldError(field, error.message, dict(error.params))]) if error else {}
    context = {"values": {"code": code[: service.CODE_LENGTH * 2]}, "errors": errors, "check": None}
    return render(request, PAGE, context, status_code=status_code)


@router.get("/receipts", name="receipt_verify")
def receipt_form(request: Request) -> Response:
    return render(request, PAGE, {"values": {}, "errors": {}, "check": None})


@router.post("/receipts")
@body_limit(SMALL_FORM)
def receipt_check(request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language) -> Response:
    code = str(form_values(posted).get("code", ""))
    try:
        check = service.check_receipt(db, code=code, ip=client_ip(request), now=now)
    except service.ReceiptCodeInvalid as error:
        return _page(request, language, code=code, error=error, status_code=422)
    except TooManyRequests as error:
        response = _page(request, language, code=code, error=error, status_code=429)
        response.headers["Retry-After"] = str(error.params.get("seconds", 1))
        return response
    db.commit()
    return render(request, PAGE, {"values": {"code": check.code}, "errors": {}, "check": check})

"""``/statements/{kind}``: the statement pages, for everyone (kept by the page cache); ``/admin/statements``:
administrators change their text. Everyone else gets a 404 on the editor."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.errors import ValidationFailed
from app.forms import form_values, translate_errors
from app.public.statements import rules, service
from app.settings import SUPPORTED_LANGUAGES
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()
EDIT_PAGE = "public/statements/edit.html"


@router.get("/statements/{kind}", name="statement")
def statement_page(request: Request, kind: str, db: DbSession, language: Language) -> Response:
    text = service.get_text(db, kind=kind, language=language)
    context = {"kind": kind, "title": rules.TITLES[kind], "parsed": rules.parse(text)}
    return render(request, "public/statements/page.html", context)


@router.get("/admin/statements", name="admin_statements")
def admin_statements(request: Request, admin: AdminUser, db: DbSession, done: str | None = None) -> Response:
    rows = {(row.kind, row.language): row for row in service.list_statements(db)}
    context = {
        "kinds": rules.KINDS,
        "titles": rules.TITLES,
        "languages": SUPPORTED_LANGUAGES,
        "rows": rows,
        "done": done == "saved",
    }
    return render(request, "public/statements/list.html", context)


def _edit_page(request: Request, kind: str, language: str, body: str, errors: dict[str, str]) -> Response:
    context = {
        "kind": kind,
        "title": rules.TITLES[kind],
        "text_language": language,
        "values": {"body": body},
        "errors": errors,
        "parsed": rules.parse(body),
    }
    return render(request, EDIT_PAGE, context, status_code=422 if errors else 200)


@router.get("/admin/statements/{kind}/{language}", name="admin_statement_edit")
def admin_statement_edit(request: Request, kind: str, language: str, admin: AdminUser, db: DbSession) -> Response:
    return _edit_page(request, kind, language, service.get_text(db, kind=kind, language=language), {})


@router.post("/admin/statements/{kind}/{language}")
def admin_statement_save(
    request: Request,
    posted: PostedForm,
    kind: str,
    language: str,
    admin: AdminUser,
    db: DbSession,
    now: Now,
    ui_language: Language,
) -> Response:
    body = str(form_values(posted).get("body", ""))
    try:
        service.update_statement(
            db, kind=kind, language=language, body=body, actor=actor_of(request, admin), user=admin, now=now
        )
    except ValidationFailed as failed:
        db.rollback()
        return _edit_page(request, kind, language, body, translate_errors(ui_language, failed.errors))
    db.commit()
    return see_other(request, "admin_statements", query="done=saved")

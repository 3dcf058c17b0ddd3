"""The administrators' audit-trail viewer and its CSV export. Everyone else gets a 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.admin.audit_viewer import service
from app.admin.audit_viewer.schemas import MAX_PAGE_SIZE, AuditFilterForm
from app.forms import parse_form, translate_errors
from app.i18n import translate
from app.web import DbSession, Language, Now, render

router = APIRouter(prefix="/admin")
FILTER_FIELDS = ("object_type", "object_id", "actor", "action", "date_from", "date_to", "size")


def _parse(request: Request, language: str) -> tuple[AuditFilterForm | None, dict[str, Any], dict[str, str]]:
    values = {key: request.query_params.get(key, "") for key in (*FILTER_FIELDS, "before", "after")}
    form, errors = parse_form(AuditFilterForm, values)
    messages = translate_errors(language, errors)
    if "__all__" in messages:  # the range as a whole: shown at the end date
        messages.setdefault("date_to", messages.pop("__all__"))
    return form, values, messages


def _wanted(form: AuditFilterForm) -> service.EventFilter:
    return service.EventFilter(
        object_type=form.object_type,
        object_id=form.object_id,
        actor=form.actor,
        action=form.action,
        date_from=form.date_from,
        date_to=form.date_to,
    )


def _query(values: dict[str, Any], **cursor: int) -> str:
    kept = {key: values[key] for key in FILTER_FIELDS if values.get(key)}
    return urlencode({**kept, **cursor})


@router.get("/audit", name="admin_audit")
def admin_audit(request: Request, admin: AdminUser, db: DbSession, language: Language) -> Response:
    form, values, errors = _parse(request, language)
    context: dict[str, Any] = {"values": values, "errors": errors, "max_size": MAX_PAGE_SIZE, "page": None}
    if form is None:
        return render(request, "admin/audit.html", context, status_code=422)
    page = service.list_page(db, wanted=_wanted(form), before=form.before, after=form.after, size=form.size)
    context.update(
        page=page,
        newer_query=_query(values, after=page.newer) if page.newer is not None else None,
        older_query=_query(values, before=page.older) if page.older is not None else None,
        export_query=_query(values),
        export_limit=service.EXPORT_LIMIT,
    )
    return render(request, "admin/audit.html", context)


@router.get("/audit/export.csv", name="admin_audit_export")
def admin_audit_export(request: Request, admin: AdminUser, now: Now, language: Language) -> Response:
    form, values, errors = _parse(request, language)
    if form is None:
        context = {"values": values, "errors": errors, "max_size": MAX_PAGE_SIZE, "page": None}
        return render(request, "admin/audit.html", context, status_code=422)
    # The export reads in short sessions of its own, batch by batch, while the client downloads.
    chunks = service.export_csv(
        request.app.state.db.session, wanted=_wanted(form), deleted_label=translate(language, "deleted user")
    )
    filename = f"audit-{now:%Y%m%d-%H%M%S}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"}
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)

"""The administrators' outbox page and its retry button. Everyone else gets a 404."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.admin.outbox import service
from app.errors import FieldError
from app.forms import parse_form, translate_errors
from app.i18n import N_
from app.notifications.enums import MessageStatus
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter(prefix="/admin")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DONE_FLAGS = frozenset({"retried"})
STATUS_LABELS = {
    MessageStatus.PENDING.value: N_("Pending"),
    MessageStatus.SENT.value: N_("Sent"),
    MessageStatus.FAILED.value: N_("Failed"),
}


class OutboxQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: MessageStatus | None = None
    before: int | None = Field(None, ge=1)
    size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("status", "before", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("size", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return PAGE_SIZE if value == "" else value


def _page(
    request: Request, db: DbSession, language: str, *, done: str | None = None, error: FieldError | None = None
) -> Response:
    values = {key: request.query_params.get(key, "") for key in ("status", "before", "size")}
    form, errors = parse_form(OutboxQuery, values)
    messages = translate_errors(language, errors + ([error] if error else []))
    context = {
        "values": values,
        "errors": messages,
        "counts": service.count_by_status(db),
        "status_labels": STATUS_LABELS,
        "failed": MessageStatus.FAILED.value,
        "done": done if done in DONE_FLAGS else None,
        "page": None,
    }
    if form is not None:
        context["page"] = service.list_messages(db, status=form.status, before=form.before, size=form.size)
        context["status"] = form.status.value if form.status else ""
    return render(request, "admin/outbox.html", context, status_code=422 if messages else 200)


@router.get("/outbox", name="admin_outbox")
def admin_outbox(
    request: Request, admin: AdminUser, db: DbSession, language: Language, done: str | None = None
) -> Response:
    return _page(request, db, language, done=done)


@router.post("/outbox/{message_id}/retry", name="admin_outbox_retry")
def admin_outbox_retry(
    request: Request, posted: PostedForm, message_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    try:
        service.retry_message(db, message_id=message_id, actor=actor_of(request, admin), now=now)
    except service.NotFailed as error:
        db.rollback()
        return _page(request, db, language, error=FieldError("__all__", error.message))
    db.commit()
    return see_other(request, "admin_outbox", query="status=failed&done=retried")

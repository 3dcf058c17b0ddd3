"""The reminders setting on the account page: one POST form with a yes/no choice."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentUser
from app.accounts.reminders import service
from app.forms import form_values
from app.security import SMALL_FORM, body_limit
from app.web import DbSession, Now, PostedForm, actor_of, see_other

router = APIRouter()


@router.post("/account/reminders", name="account_reminders")
@body_limit(SMALL_FORM)
def account_reminders(request: Request, posted: PostedForm, db: DbSession, now: Now, user: CurrentUser) -> Response:
    enabled = form_values(posted).get("reminders") != "off"
    service.set_reminders(db, user=user, enabled=enabled, actor=actor_of(request, user), now=now)
    db.commit()
    return see_other(request, "account", "saved=" + ("reminders_on" if enabled else "reminders_off"))

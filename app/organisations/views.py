"""Organisation pages: my organisations, register one, its members and invitations, accept an invitation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.accounts.dependencies import CurrentAuth, CurrentUser
from app.accounts.models import User
from app.errors import ValidationFailed
from app.forms import chosen_id, form_values, parse_form, translate_errors
from app.organisations import permissions, service
from app.organisations.enums import MemberRole, Ownership
from app.organisations.invitations import service as invitation_service
from app.organisations.models import Organisation
from app.organisations.regions import service as region_service
from app.organisations.regions.enums import PROVINCE_LABELS
from app.organisations.schemas import (
    CLEARANCE_LEVEL_LABELS,
    OWNERSHIP_LABELS,
    SECURITY_STATUS_LABELS,
    InvitationForm,
    country_names,
    parse_organisation,
)
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, safe_next, see_other

router = APIRouter()


def _form_context(language: str, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "countries": list(country_names(language).items()),
        "security_statuses": list(SECURITY_STATUS_LABELS.items()),
        "ownership_options": list(OWNERSHIP_LABELS.items()),
        "clearance_levels": list(CLEARANCE_LEVEL_LABELS.items()),
        "provinces": list(PROVINCE_LABELS.items()),
    }


def _values_of(organisation: Organisation) -> dict[str, Any]:
    return {
        "legal_name": organisation.legal_name,
        "country": organisation.country,
        "kvk_number": organisation.kvk_number or "",
        "registry_id": organisation.registry_id or "",
        "street": organisation.street,
        "postcode": organisation.postcode,
        "city": organisation.city,
        "is_sme": "yes" if organisation.is_sme else "no",
        "new_to_defence": {None: "", True: "no", False: "yes"}[organisation.new_to_defence],
        "province": organisation.province if organisation.province_chosen else "",
        "ownership": organisation.ownership or "",
        "parent_name": organisation.parent_name or "",
        "parent_country": organisation.parent_country or "",
        "security_status": organisation.security_status,
        "facility_clearance_level": organisation.facility_clearance_level or "",
    }


# --- my organisations and the acting one ----------------------------------------------------------


@router.get("/organisations", name="organisation_list")
def organisation_list(request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    memberships = service.list_memberships(db, user_id=auth.user_id)
    context = {"memberships": memberships, "acting_id": auth.acting_organisation_id}
    return render(request, "organisations/list.html", context)


@router.post("/organisations/acting", name="organisation_choose_acting")
def organisation_choose_acting(
    request: Request, posted: PostedForm, db: DbSession, now: Now, auth: CurrentAuth
) -> Response:
    values = form_values(posted)
    try:
        organisation_id = int(chosen_id(values.get("organisation_id", "")))
    except ValueError:
        organisation_id = 0
    service.choose_acting(
        db,
        auth_session_id=auth.id,
        organisation_id=organisation_id,
        user=auth.user,
        actor=actor_of(request, auth.user),
        now=now,
    )
    db.commit()
    target = safe_next(str(values.get("next", "")), "")
    return RedirectResponse(target, status_code=303) if target else see_other(request, "organisation_list")


# --- register and edit ----------------------------------------------------------------------------


@router.get("/organisations/new", name="organisation_create")
def organisation_create_form(request: Request, user: CurrentUser, language: Language) -> Response:
    values = {"country": "NL", "security_status": "none"}
    return render(request, "organisations/form.html", _form_context(language, values, {}))


@router.post("/organisations/new")
def organisation_create(
    request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language, auth: CurrentAuth
) -> Response:
    values = form_values(posted)
    form, errors = parse_organisation(values)
    if form is not None:
        try:
            organisation = service.create_organisation(
                db, form=form, user=auth.user, auth_session_id=auth.id, actor=actor_of(request, auth.user), now=now
            )
            db.commit()
            return see_other(request, "organisation_detail", organisation_id=organisation.id)
        except ValidationFailed as failed:
            errors = failed.errors
    context = _form_context(language, values, translate_errors(language, errors))
    # A number someone else registered: not a dead end, the administrators can settle it.
    context["kvk_taken"] = any(e.path == "kvk_number" and e.message == service.ALREADY_REGISTERED for e in errors)
    return render(request, "organisations/form.html", context, status_code=422)


@router.get("/organisations/{organisation_id}/edit", name="organisation_edit")
def organisation_edit_form(
    request: Request, organisation_id: int, db: DbSession, user: CurrentUser, language: Language
) -> Response:
    service.get_admin_membership(db, organisation_id=organisation_id, user_id=user.id)
    organisation = db.get_one(Organisation, organisation_id)
    context = {**_form_context(language, _values_of(organisation), {}), "organisation": organisation}
    return render(request, "organisations/form.html", context)


@router.post("/organisations/{organisation_id}/edit")
def organisation_edit(
    request: Request,
    posted: PostedForm,
    organisation_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    language: Language,
) -> Response:
    service.get_admin_membership(db, organisation_id=organisation_id, user_id=user.id)
    values = form_values(posted)
    form, errors = parse_organisation(values)
    if form is not None:
        try:
            service.update_organisation(
                db, organisation_id=organisation_id, form=form, user=user, actor=actor_of(request, user), now=now
            )
            db.commit()
            return see_other(request, "organisation_detail", organisation_id=organisation_id)
        except ValidationFailed as failed:
            errors = failed.errors
    organisation = db.get_one(Organisation, organisation_id)
    context = {**_form_context(language, values, translate_errors(language, errors)), "organisation": organisation}
    return render(request, "organisations/form.html", context, status_code=422)


# --- one organisation: details, members, invitations ----------------------------------------------


def _detail(
    request: Request,
    db: DbSession,
    *,
    organisation_id: int,
    user: User,
    now: Any,
    language: str,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    membership = service.get_membership(db, organisation_id=organisation_id, user_id=user.id)
    organisation = db.get_one(Organisation, organisation_id)
    is_admin = permissions.is_admin(membership)
    context = {
        "organisation": organisation,
        "membership": membership,
        "is_admin": is_admin,
        "members": service.list_members(db, organisation_id=organisation_id),
        "invitations": invitation_service.list_open_invitations(db, organisation_id=organisation_id, now=now)
        if is_admin
        else [],
        "countries": country_names(language),
        "security_statuses": SECURITY_STATUS_LABELS,
        "clearance_levels": CLEARANCE_LEVEL_LABELS,
        "ownership_group": Ownership.GROUP.value,
        "province_labels": PROVINCE_LABELS,
        "region": region_service.region_of_organisation(db, organisation_id=organisation_id),
        "errors": errors or {},
        "values": values or {},
        "problem": problem,
        "user": user,
    }
    return render(request, "organisations/detail.html", context, status_code=status_code)


@router.get("/organisations/{organisation_id}", name="organisation_detail")
def organisation_detail(
    request: Request, organisation_id: int, db: DbSession, now: Now, user: CurrentUser, language: Language
) -> Response:
    return _detail(request, db, organisation_id=organisation_id, user=user, now=now, language=language)


@router.post("/organisations/{organisation_id}/invitations", name="invitation_create")
def invitation_create(
    request: Request,
    posted: PostedForm,
    organisation_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    language: Language,
) -> Response:
    service.get_admin_membership(db, organisation_id=organisation_id, user_id=user.id)
    values = form_values(posted)
    form, errors = parse_form(InvitationForm, values)
    if form is not None:
        try:
            invitation_service.invite_member(
                db,
                organisation_id=organisation_id,
                email=form.email,
                user=user,
                language=language,
                links=request.app.state.links,
                actor=actor_of(request, user),
                now=now,
            )
            db.commit()
            return see_other(request, "organisation_detail", organisation_id=organisation_id)
        except ValidationFailed as failed:
            errors = failed.errors
    return _detail(
        request,
        db,
        organisation_id=organisation_id,
        user=user,
        now=now,
        language=language,
        errors=translate_errors(language, errors),
        values=values,
        status_code=422,
    )


@router.post("/organisations/{organisation_id}/invitations/{invitation_id}/revoke", name="invitation_revoke")
def invitation_revoke(
    request: Request, organisation_id: int, invitation_id: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    invitation_service.revoke_invitation(
        db,
        organisation_id=organisation_id,
        invitation_id=invitation_id,
        user=user,
        actor=actor_of(request, user),
        now=now,
    )
    db.commit()
    return see_other(request, "organisation_detail", organisation_id=organisation_id)


def _member_change(
    request: Request, db: DbSession, *, organisation_id: int, user: User, now: Any, language: str, change: Any
) -> Response | None:
    """Run a change of membership; the last administrator's refusal re-renders the page with the reason."""
    try:
        change()
    except service.LastAdministrator as refused:
        db.rollback()
        problem = refused.message
        return _detail(
            request,
            db,
            organisation_id=organisation_id,
            user=user,
            now=now,
            language=language,
            problem=problem,
            status_code=422,
        )
    db.commit()
    return None


@router.post("/organisations/{organisation_id}/members/{user_id}/remove", name="membership_remove")
def membership_remove(
    request: Request,
    organisation_id: int,
    user_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    language: Language,
) -> Response:
    refused = _member_change(
        request,
        db,
        organisation_id=organisation_id,
        user=user,
        now=now,
        language=language,
        change=lambda: service.remove_member(
            db, organisation_id=organisation_id, member_id=user_id, user=user, actor=actor_of(request, user), now=now
        ),
    )
    if refused is not None:
        return refused
    if user_id == user.id:
        return see_other(request, "organisation_list")
    return see_other(request, "organisation_detail", organisation_id=organisation_id)


@router.post("/organisations/{organisation_id}/leave", name="membership_leave")
def membership_leave(
    request: Request, organisation_id: int, db: DbSession, now: Now, user: CurrentUser, language: Language
) -> Response:
    refused = _member_change(
        request,
        db,
        organisation_id=organisation_id,
        user=user,
        now=now,
        language=language,
        change=lambda: service.remove_member(
            db, organisation_id=organisation_id, member_id=user.id, user=user, actor=actor_of(request, user), now=now
        ),
    )
    return refused if refused is not None else see_other(request, "organisation_list")


@router.post("/organisations/{organisation_id}/members/{user_id}/role", name="membership_role")
def membership_role(
    request: Request,
    posted: PostedForm,
    organisation_id: int,
    user_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    language: Language,
) -> Response:
    service.get_admin_membership(db, organisation_id=organisation_id, user_id=user.id)
    values = form_values(posted)
    try:
        role = MemberRole(values.get("role", ""))
    except ValueError:
        role = MemberRole.ADMIN
    refused = _member_change(
        request,
        db,
        organisation_id=organisation_id,
        user=user,
        now=now,
        language=language,
        change=lambda: service.change_role(
            db,
            organisation_id=organisation_id,
            member_id=user_id,
            role=role,
            user=user,
            actor=actor_of(request, user),
            now=now,
        ),
    )
    return (
        refused if refused is not None else see_other(request, "organisation_detail", organisation_id=organisation_id)
    )


# --- accepting an invitation ----------------------------------------------------------------------


def _invitation_page(request: Request, found: invitation_service.InvitationLookup) -> Response:
    if found.state == invitation_service.InvitationState.OPEN:
        return render(request, "organisations/invitation.html", {"organisation": found.organisation})
    status = {
        invitation_service.InvitationState.UNKNOWN: 404,
        invitation_service.InvitationState.OTHER_ACCOUNT: 403,
    }.get(found.state, 410)
    return render(request, "organisations/invitation_invalid.html", {"state": found.state.value}, status_code=status)


@router.get("/invitations/{token}", name="invitation_accept")
def invitation_show(request: Request, token: str, db: DbSession, now: Now, user: CurrentUser) -> Response:
    return _invitation_page(request, invitation_service.look_up_invitation(db, token=token, user=user, now=now))


@router.post("/invitations/{token}")
def invitation_accept(request: Request, token: str, db: DbSession, now: Now, user: CurrentUser) -> Response:
    found = invitation_service.accept_invitation(db, token=token, user=user, actor=actor_of(request, user), now=now)
    if found.state != invitation_service.InvitationState.OPEN or found.invitation is None:
        return _invitation_page(request, found)
    db.commit()
    return see_other(request, "organisation_detail", organisation_id=found.invitation.organisation_id)

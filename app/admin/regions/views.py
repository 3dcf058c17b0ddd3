"""Administrators' pages of ODIN's regional teams under /admin/regions: add, rename, retire, assign provinces
and coordinators. Everyone else gets a 404."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.accounts.models import User
from app.errors import FieldError, ValidationFailed
from app.forms import form_values, parse_form, translate_errors
from app.organisations.regions import service
from app.organisations.regions.enums import PROVINCE_LABELS
from app.organisations.regions.models import Region
from app.organisations.regions.schemas import RegionForm
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter(prefix="/admin")


def _values_of(region: Region) -> dict[str, Any]:
    return {
        "key": region.key,
        "name_nl": region.name_nl,
        "name_en": region.name_en,
        "position": str(region.position),
        "active": "1" if region.active else "",
        "provinces": region.province_codes,
    }


def _page(
    request: Request,
    db: DbSession,
    *,
    region: Region | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "regions": service.list_regions(db),
        "region": region,
        "members": service.list_members(db, region_id=region.id) if region else [],
        "provinces": list(PROVINCE_LABELS.items()),
        "province_labels": PROVINCE_LABELS,
        "values": values or (_values_of(region) if region else {"active": "1", "position": "0", "provinces": []}),
        "errors": errors or {},
    }
    return render(request, "admin/regions.html", context, status_code=status_code)


@router.get("/regions", name="admin_regions")
def admin_regions(request: Request, db: DbSession, admin: AdminUser) -> Response:
    return _page(request, db, region=None)


@router.get("/regions/{region_id}", name="admin_region")
def admin_region(request: Request, region_id: int, db: DbSession, admin: AdminUser) -> Response:
    return _page(request, db, region=service.get_region(db, region_id=region_id))


def _save(
    request: Request, db: DbSession, *, region_id: int | None, posted: Any, now: Any, language: str, admin: User
) -> Response:
    region = service.get_region(db, region_id=region_id) if region_id is not None else None
    values = form_values(posted)
    form, errors = parse_form(RegionForm, {**values, "active": values.get("active") == "1"})
    if form is not None:
        try:
            saved = service.save_region(
                db,
                region=region,
                key=form.key,
                name_nl=form.name_nl,
                name_en=form.name_en,
                position=form.position,
                active=form.active,
                provinces=[p.value for p in form.provinces],
                actor=actor_of(request, admin),
                now=now,
            )
            db.commit()
            return see_other(request, "admin_region", region_id=saved.id)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
            region = service.get_region(db, region_id=region_id) if region_id is not None else None
    values.setdefault("provinces", [])
    values["provinces"] = [values["provinces"]] if isinstance(values["provinces"], str) else values["provinces"]
    # A refused province ("provinces.2") points at the group of checkboxes.
    errors = [FieldError(e.path.split(".")[0], e.message, e.params) for e in errors]
    shown = translate_errors(language, errors)
    return _page(request, db, region=region, values=values, errors=shown, status_code=422)


@router.post("/regions", name="admin_region_create")
def admin_region_create(
    request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language, admin: AdminUser
) -> Response:
    return _save(request, db, region_id=None, posted=posted, now=now, language=language, admin=admin)


@router.post("/regions/{region_id}", name="admin_region_update")
def admin_region_update(
    request: Request, posted: PostedForm, region_id: int, db: DbSession, now: Now, language: Language, admin: AdminUser
) -> Response:
    return _save(request, db, region_id=region_id, posted=posted, now=now, language=language, admin=admin)


@router.post("/regions/{region_id}/members", name="admin_region_member_add")
def admin_region_member_add(
    request: Request, posted: PostedForm, region_id: int, db: DbSession, now: Now, language: Language, admin: AdminUser
) -> Response:
    region = service.get_region(db, region_id=region_id)
    email = str(form_values(posted).get("email") or "")
    try:
        service.assign_member(db, region=region, email=email, actor=actor_of(request, admin), now=now)
    except ValidationFailed as failed:
        db.rollback()
        errors = [FieldError("member_email", e.message, e.params) for e in failed.errors]
        region = service.get_region(db, region_id=region_id)
        shown = translate_errors(language, errors)
        values = {**_values_of(region), "member_email": email}
        return _page(request, db, region=region, values=values, errors=shown, status_code=422)
    db.commit()
    return see_other(request, "admin_region", region_id=region_id)


@router.post("/regions/{region_id}/members/{user_id}/remove", name="admin_region_member_remove")
def admin_region_member_remove(
    request: Request, region_id: int, user_id: int, db: DbSession, now: Now, admin: AdminUser
) -> Response:
    region = service.get_region(db, region_id=region_id)
    service.remove_member(db, region=region, user_id=user_id, actor=actor_of(request, admin), now=now)
    db.commit()
    return see_other(request, "admin_region", region_id=region_id)

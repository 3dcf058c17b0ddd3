"""Shared setup of the organisation tests: a valid details form and organisations stored through the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.organisations import service
from app.organisations.models import Organisation
from app.organisations.schemas import parse_organisation


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "legal_name": "Delta Sensoren B.V.",
        "country": "NL",
        "kvk_number": "12345678",
        "registry_id": "",
        "street": "Kanaalweg 1",
        "postcode": "2628 EB",
        "city": "Delft",
        "is_sme": "yes",
        "new_to_defence": "no",
        "ownership": "independent",
        "parent_name": "",
        "parent_country": "",
        "security_status": "none",
        "facility_clearance_level": "",
    }
    data.update(overrides)
    return data


def create_organisation(session: Session, user: Any, *, now: datetime, **overrides: Any) -> Organisation:
    form, errors = parse_organisation(form_data(**overrides))
    assert form is not None, errors
    organisation = service.create_organisation(
        session, form=form, user=user, auth_session_id=None, actor=Actor(user.id, user.email), now=now
    )
    session.commit()
    return organisation

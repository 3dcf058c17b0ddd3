"""Shared setup of the proposition tests: a company in a province, coordinators by area and by region."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges.models import Challenge, ChallengeCoordinator
from app.organisations.models import Organisation
from app.organisations.regions.models import Region, RegionMember
from app.proposals.propositions.models import Proposition
from tests.factories import create_user, csrf
from tests.proposals.helpers import act_for, create_company

SECRET = "Kwantumradar met geheime golfvorm"


def proposition_form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Kwantumradar",
        "effect": "Ziet stealth-drones op 5 km.",
        "nld_area": "quantum",
        "trl": "5",
        "description": SECRET,
    }
    data.update(overrides)
    return data


def post(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})


def region(session: Session, key: str) -> Region:
    return session.scalars(select(Region).where(Region.key == key)).one()


def company_in(
    session: Session, *, email: str, name: str, kvk: str, province: str | None, at: datetime
) -> tuple[Any, Organisation]:
    user, organisation = create_company(session, email=email, name=name, kvk=kvk, at=at)
    organisation.province = province
    session.commit()
    return user, organisation


def send(
    client: TestClient, session: Session, user: Any, organisation: Organisation, *, now: datetime, **form: str
) -> Proposition:
    act_for(client, session, user, organisation, now=now)
    response = post(client, "/propositions/new", proposition_form(**form))
    assert response.status_code == 303, response.text[:500]
    proposition_id = int(response.headers["location"].rsplit("/", 1)[1])
    proposition = session.get(Proposition, proposition_id)
    assert proposition is not None
    return proposition


def regional_coordinator(session: Session, *, email: str, region_key: str, at: datetime) -> Any:
    user = create_user(session, email=email, name="Regio", roles=("coordinator",))
    session.add(RegionMember(user_id=user.id, region_id=region(session, region_key).id, assigned_at=at))
    session.commit()
    return user


def area_coordinator(session: Session, challenge: Challenge, *, email: str, at: datetime) -> Any:
    """A coordinator of a challenge (tagged with the NLD-gebied sensoren by the test definition)."""
    user = create_user(session, email=email, name="Gebied", roles=("coordinator",))
    session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=user.id, assigned_at=at))
    session.commit()
    return user

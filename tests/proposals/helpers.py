"""Factories for proposal tests: companies with a member, a started draft, a complete proposal ready to submit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.organisations.models import Membership, Organisation
from app.proposals.models import Proposal
from tests.factories import create_user, csrf, log_in
from tests.pdfs import pdf_bytes

ALL_TYPES_QUESTIONS: list[dict[str, Any]] = [
    {"key": "name", "type": "short_text", "label": {"nl": "Naam oplossing", "en": "Solution name"}, "max_length": 40},
    {"key": "summary", "type": "long_text", "label": {"nl": "Samenvatting", "en": "Summary"}, "max_words": 5},
    {
        "key": "range_km",
        "type": "number",
        "label": {"nl": "Bereik", "en": "Range"},
        "min": 0,
        "max": 50,
        "unit": {"nl": "km", "en": "km"},
    },
    {
        "key": "domain",
        "type": "single_choice",
        "label": {"nl": "Domein", "en": "Domain"},
        "options": [
            {"key": "land", "label": {"nl": "Land", "en": "Land"}},
            {"key": "sea", "label": {"nl": "Zee", "en": "Sea"}},
        ],
    },
    {
        "key": "sensors",
        "type": "multiple_choice",
        "label": {"nl": "Sensoren", "en": "Sensors"},
        "max_selected": 1,
        "required": False,
        "options": [
            {"key": "radar", "label": {"nl": "Radar", "en": "Radar"}},
            {"key": "rf", "label": {"nl": "RF", "en": "RF"}},
        ],
    },
    {"key": "tested", "type": "yes_no", "label": {"nl": "Getest?", "en": "Tested?"}},
    {
        "key": "demo",
        "type": "date",
        "label": {"nl": "Demodatum", "en": "Demo date"},
        "min_date": "2027-01-01",
        "required": False,
    },
    {
        "key": "brief",
        "type": "document",
        "label": {"nl": "Schets", "en": "Brief"},
        "allowed_types": ["pdf"],
        "max_size_mb": 1,
        "max_pages": 2,
    },
]

GOOD_ANSWERS = {
    "q_name": "SkyNet Light",
    "q_summary": "Detects small drones early",
    "q_range_km": "12,5",
    "q_domain": "land",
    "q_sensors": "radar",
    "q_tested": "yes",
    "q_demo": "2027-03-01",
    "trl": "6",
}


def all_types_stage() -> list[dict[str, Any]]:
    from tests.factories import BASE_DEFINITION

    stage = dict(BASE_DEFINITION["stages"][0])
    stage["questions"] = ALL_TYPES_QUESTIONS
    return [stage]


def create_company(
    session: Session, *, email: str, name: str, kvk: str, at: datetime, language: str = "nl"
) -> tuple[Any, Organisation]:
    user = create_user(session, email=email, name=name.split()[0], language=language)
    organisation = Organisation(legal_name=name, kvk_number=kvk, country="NL", created_at=at, created_by_id=user.id)
    session.add(organisation)
    session.flush()
    session.add(Membership(organisation_id=organisation.id, user_id=user.id, role="admin", joined_at=at))
    session.commit()
    return user, organisation


def act_for(client: TestClient, session: Session, user: Any, organisation: Organisation, *, now: datetime) -> None:
    """Log the client in as the user, acting for the organisation."""
    log_in(client, session, user, now=now)
    response = client.post(
        "/organisations/acting", data={"organisation_id": str(organisation.id), "csrf_token": csrf(client)}
    )
    assert response.status_code == 303


def start(client: TestClient, session: Session, slug: str) -> Proposal:
    response = client.post(f"/challenges/{slug}/apply", data={"csrf_token": csrf(client)})
    assert response.status_code == 303, response.text[:300]
    proposal_id = int(response.headers["location"].rsplit("/", 1)[1])
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    return proposal


def upload(client: TestClient, proposal_id: int, key: str, content: bytes, name: str = "brief.pdf") -> Any:
    return client.post(
        f"/proposals/{proposal_id}/documents/{key}",
        data={"csrf_token": csrf(client)},
        files={"file": (name, content, "application/pdf")},
    )


def save(client: TestClient, proposal_id: int, **values: str) -> Any:
    return client.post(f"/proposals/{proposal_id}/answers", data={**values, "csrf_token": csrf(client)})


def submit(
    client: TestClient,
    proposal_id: int,
    *,
    key: str = "key-1",
    declarations: tuple[str, ...] = ("unclassified", "truthful", "consent"),
) -> Any:
    return client.post(
        f"/proposals/{proposal_id}/submit",
        data={"submission_key": key, "declarations": list(declarations), "csrf_token": csrf(client)},
    )


def ready_proposal(client: TestClient, session: Session, slug: str) -> Proposal:
    """A draft with every answer and the document in place (the base definition's questions)."""
    proposal = start(client, session, slug)
    assert save(client, proposal.id, q_summary="Vroege detectie van kleine drones", trl="5").status_code == 303
    assert upload(client, proposal.id, "brief", pdf_bytes(pages=2)).status_code == 303
    session.expire_all()
    return proposal


def proposal_of(session: Session, organisation: Organisation) -> Proposal:
    proposal = session.scalar(select(Proposal).where(Proposal.organisation_id == organisation.id))
    assert proposal is not None
    return proposal

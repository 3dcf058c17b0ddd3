"""Ownership and control at registration and on the edit page: independent, or part of a group with the ultimate
parent's name and country; every mistake answered next to its field, nothing stored half."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.organisations.models import Organisation
from app.organisations.schemas import parse_organisation
from tests.factories import create_user, csrf, log_in
from tests.organisations.helpers import create_organisation, form_data


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf(client)})


def _messages(values: dict[str, Any]) -> dict[str, str]:
    form, errors = parse_organisation(values)
    assert form is None
    return {error.path: error.message for error in errors}


def test_group_with_parent_and_country_parses() -> None:
    form, errors = parse_organisation(
        form_data(ownership="group", parent_name=" Overseas Holding Inc. ", parent_country="us")
    )
    assert errors == [] and form is not None
    assert (form.ownership, form.parent_name, form.parent_country) == ("group", "Overseas Holding Inc.", "US")


@pytest.mark.parametrize("missing", [{"ownership": ""}, {}])
def test_ownership_must_be_answered(missing: dict[str, str]) -> None:
    values = form_data(**missing)
    if not missing:
        del values["ownership"]
    assert _messages(values) == {"ownership": "Say whether another company controls the organisation."}


def test_ownership_of_another_value_is_refused() -> None:
    assert _messages(form_data(ownership="trust")) == {"ownership": "Choose one of the options."}


def test_group_needs_the_parent_and_its_country() -> None:
    assert _messages(form_data(ownership="group")) == {
        "parent_name": "Enter the name of the ultimate parent company.",
        "parent_country": "Choose the country of the ultimate parent company.",
    }
    assert _messages(form_data(ownership="group", parent_name="Holding", parent_country="XX")) == {
        "parent_country": "Choose a country from the list."
    }


def test_independent_names_no_parent() -> None:
    message = (
        "An organisation that no other company controls has no ultimate parent: remove it, or answer that the "
        "organisation belongs to a group."
    )
    assert _messages(form_data(ownership="independent", parent_name="Holding", parent_country="US")) == {
        "parent_name": message,
        "parent_country": message,
    }


def test_registration_stores_the_group_and_records_it_in_the_audit_trail(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    log_in(client, session, create_user(session, email="maker@lima.example"), now=clock.now())
    data = form_data(
        legal_name="Lima B.V.",
        kvk_number="60606060",
        ownership="group",
        parent_name="Lima Holding AG",
        parent_country="CH",
    )
    assert _post(client, "/organisations/new", data).status_code == 303
    organisation = session.scalars(select(Organisation).where(Organisation.kvk_number == "60606060")).one()
    assert (organisation.ownership, organisation.parent_name, organisation.parent_country) == (
        "group",
        "Lima Holding AG",
        "CH",
    )
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert event.action == "organisation.create"
    assert (event.data["ownership"], event.data["parent_name"], event.data["parent_country"]) == (
        "group",
        "Lima Holding AG",
        "CH",
    )
    page = client.get(f"/organisations/{organisation.id}").text
    assert "Lima Holding AG (Zwitserland)" in page


def test_registration_with_a_group_but_no_parent_is_refused_and_keeps_the_input(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    log_in(client, session, create_user(session, email="maker@lima.example"), now=clock.now())
    data = form_data(legal_name="Lima B.V.", kvk_number="60606060", ownership="group", parent_country="US")
    response = _post(client, "/organisations/new", data)
    assert response.status_code == 422
    assert "Vul de naam van de uiteindelijke moedermaatschappij in." in response.text
    assert 'value="group" checked' in response.text
    assert '<option value="US" selected>' in response.text
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_edit_page_shows_and_changes_the_ownership(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice = create_user(session, email="alice@alpha.example", name="Alice")
    organisation = create_organisation(session, alice, now=clock.now(), legal_name="Alpha B.V.", kvk_number="31313131")
    log_in(client, session, alice, now=clock.now())
    form = client.get(f"/organisations/{organisation.id}/edit")
    assert form.status_code == 200 and 'value="independent" checked' in form.text
    changed = form_data(
        legal_name="Alpha B.V.",
        kvk_number="31313131",
        ownership="group",
        parent_name="Beta Group plc",
        parent_country="GB",
    )
    assert _post(client, f"/organisations/{organisation.id}/edit", changed).status_code == 303
    session.refresh(organisation)
    assert (organisation.ownership, organisation.parent_name, organisation.parent_country) == (
        "group",
        "Beta Group plc",
        "GB",
    )
    refused = _post(client, f"/organisations/{organisation.id}/edit", {**changed, "ownership": ""})
    assert refused.status_code == 422
    assert "Geef aan of een ander bedrijf zeggenschap heeft over de organisatie." in refused.text
    session.refresh(organisation)
    assert organisation.ownership == "group"


def test_an_organisation_that_never_declared_its_ownership_is_told_so(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    alice = create_user(session, email="alice@alpha.example", name="Alice")
    organisation = create_organisation(session, alice, now=clock.now(), legal_name="Alpha B.V.", kvk_number="31313131")
    organisation.ownership = None  # as registered before the question existed
    session.commit()
    log_in(client, session, alice, now=clock.now())
    page = client.get(f"/organisations/{organisation.id}")
    assert 'id="ownership-undeclared"' in page.text and "Niet opgegeven." in page.text
    form = client.get(f"/organisations/{organisation.id}/edit")
    assert 'value="independent" checked' not in form.text and 'value="group" checked' not in form.text

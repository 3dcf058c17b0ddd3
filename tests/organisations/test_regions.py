"""An organisation's province (from its postcode or chosen), its regional team, and whether it is new to Defence,
through the registration and edit pages."""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.organisations.models import Organisation
from app.organisations.regions import service as region_service
from tests.factories import create_user, csrf, log_in
from tests.organisations.helpers import form_data


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf(client)})


def _register(client: TestClient, session: Session, **overrides: str) -> Organisation:
    response = _post(client, "/organisations/new", form_data(**overrides))
    assert response.status_code == 303, response.text[:500]
    return session.scalars(select(Organisation).order_by(Organisation.id.desc())).first()  # type: ignore[return-value]


def test_registration_derives_the_province_and_team(client: TestClient, session: Session, clock: FrozenClock) -> None:
    log_in(client, session, create_user(session, email="maker@delta.example"), now=clock.now())
    organisation = _register(client, session, postcode="2628 EB", new_to_defence="no")
    assert (organisation.province, organisation.province_chosen, organisation.new_to_defence) == ("NL-ZH", False, True)
    team = region_service.region_of_organisation(session, organisation_id=organisation.id)
    assert team is not None and team.key == "zuidwest"
    page = client.get(f"/organisations/{organisation.id}").text
    assert "Zuid-Holland" in page
    assert "ODIN Zuidwest (MindBase Delft)" in page
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation.create")).one()
    assert (event.data["province"], event.data["new_to_defence"]) == ("NL-ZH", True)


def test_registration_chosen_province_wins(client: TestClient, session: Session, clock: FrozenClock) -> None:
    log_in(client, session, create_user(session, email="maker@delta.example"), now=clock.now())
    organisation = _register(client, session, postcode="2628 EB", province="NL-LI", new_to_defence="yes")
    assert (organisation.province, organisation.province_chosen, organisation.new_to_defence) == ("NL-LI", True, False)
    assert region_service.region_id_of_organisation(session, organisation_id=organisation.id) == (
        region_service.list_regions(session)[5].id  # ODIN Zuid (MindBase Geleen)
    )


def test_registration_foreign_has_no_province(client: TestClient, session: Session, clock: FrozenClock) -> None:
    log_in(client, session, create_user(session, email="maker@delta.example"), now=clock.now())
    foreign = {"country": "DE", "kvk_number": "", "registry_id": "HRB 1234", "postcode": "10115"}
    organisation = _register(client, session, **foreign)
    assert organisation.province is None
    assert region_service.region_id_of_organisation(session, organisation_id=organisation.id) is None
    refused = _post(client, "/organisations/new", form_data(**{**foreign, "registry_id": "HRB 99"}, province="NL-UT"))
    assert refused.status_code == 422
    assert "Alleen organisaties die in Nederland zijn ingeschreven hebben een provincie." in html.unescape(refused.text)


def test_registration_requires_the_defence_question(client: TestClient, session: Session, clock: FrozenClock) -> None:
    log_in(client, session, create_user(session, email="maker@delta.example"), now=clock.now())
    response = _post(client, "/organisations/new", form_data(new_to_defence=""))
    assert response.status_code == 422
    assert "Geef aan of de organisatie eerder voor Defensie heeft gewerkt." in html.unescape(response.text)
    assert 'href="#new_to_defence"' in response.text
    bad = _post(client, "/organisations/new", form_data(province="NL-XX"))
    assert bad.status_code == 422
    assert session.scalar(select(Organisation.id)) is None


def test_edit_rederives_the_province_unless_chosen(client: TestClient, session: Session, clock: FrozenClock) -> None:
    log_in(client, session, create_user(session, email="maker@delta.example"), now=clock.now())
    organisation = _register(client, session, postcode="2628 EB")
    edit = f"/organisations/{organisation.id}/edit"
    assert 'value="no" checked' in client.get(edit).text  # new_to_defence kept on the form
    assert _post(client, edit, form_data(postcode="9712 AB")).status_code == 303
    session.refresh(organisation)
    assert (organisation.province, organisation.province_chosen) == ("NL-GR", False)
    assert _post(client, edit, form_data(postcode="9712 AB", province="NL-DR")).status_code == 303
    session.refresh(organisation)
    assert (organisation.province, organisation.province_chosen) == ("NL-DR", True)


def test_existing_organisation_answer_unknown(client: TestClient, session: Session, clock: FrozenClock) -> None:
    from tests.proposals.helpers import create_company

    user, organisation = create_company(
        session, email="oud@delta.example", name="Oud B.V.", kvk="77777777", at=clock.now()
    )
    assert organisation.new_to_defence is None
    log_in(client, session, user, now=clock.now())
    assert "Nog niet beantwoord" in client.get(f"/organisations/{organisation.id}").text

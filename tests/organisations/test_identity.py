"""Organisation identity over HTTP: every organisation starts unverified, a number someone else registered
opens a dispute instead of a dead end, and administrators verify and settle disputes from their queue."""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.organisations.identity.service import MAX_OPEN_PER_CLAIMANT
from app.organisations.models import Membership, Organisation, OrganisationDispute
from tests.factories import create_user, csrf, log_in
from tests.organisations.helpers import create_organisation, form_data

SQUATTED_KVK = "31313131"


def _post(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})


def _squatted(session: Session, clock: FrozenClock) -> tuple[Any, Organisation]:
    """A rival registered the real company's number under a name of its own choosing."""
    squatter = create_user(session, email="rival@squat.example", name="Rival")
    organisation = create_organisation(
        session, squatter, now=clock.now(), legal_name="Squatted Name B.V.", kvk_number=SQUATTED_KVK
    )
    return squatter, organisation


def _claim(client: TestClient, **overrides: str) -> Any:
    data = {"kvk_number": SQUATTED_KVK, "claimed_name": "Echte Firma B.V.", "explanation": "Ik ben de directeur."}
    return _post(client, "/organisations/disputes/new", {**data, **overrides})


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_new_organisation_is_unverified_and_says_so(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="maker@lima.example")
    log_in(client, session, user, now=clock.now())
    response = _post(client, "/organisations/new", form_data(legal_name="Lima Labs B.V.", kvk_number="60606060"))
    assert response.status_code == 303
    organisation = session.scalars(select(Organisation).where(Organisation.kvk_number == "60606060")).one()
    assert organisation.status == "unverified"
    page = client.get(f"/organisations/{organisation.id}").text
    assert "Niet geverifieerd" in page


def test_a_taken_number_leads_to_a_dispute_for_the_administrators(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _, organisation = _squatted(session, clock)
    admin = create_user(session, email="adam@mindef.example", name="Adam", roles=("administrator",), language="en")
    owner = create_user(session, email="director@echte.example", name="Director")
    log_in(client, session, owner, now=clock.now())
    refused = _post(client, "/organisations/new", form_data(legal_name="Echte Firma B.V.", kvk_number=SQUATTED_KVK))
    assert refused.status_code == 422
    assert "Squatted Name" not in refused.text  # nothing about the registration leaks
    link = f'href="/organisations/disputes/new?kvk={SQUATTED_KVK}"'
    assert link in refused.text
    form = client.get(f"/organisations/disputes/new?kvk={SQUATTED_KVK}")
    assert form.status_code == 200 and f'value="{SQUATTED_KVK}"' in form.text

    sent = _claim(client)
    assert sent.status_code == 303 and sent.headers["location"] == "/organisations/disputes/sent"
    assert "Squatted Name" not in client.get("/organisations/disputes/sent").text
    dispute = session.scalars(select(OrganisationDispute)).one()
    assert (dispute.organisation_id, dispute.claimant_id, dispute.status) == (organisation.id, owner.id, "open")
    assert "organisation_dispute.open" in _actions(session)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == admin.email)).one()
    assert SQUATTED_KVK in mail.subject and "http://testserver/admin/organisations" in mail.body_text


def test_a_dispute_is_refused_with_reasons(client: TestClient, session: Session, clock: FrozenClock) -> None:
    squatter, _ = _squatted(session, clock)
    owner = create_user(session, email="director@echte.example", name="Director")
    log_in(client, session, owner, now=clock.now())
    cases = [
        ({"kvk_number": "123"}, "Vul de 8 cijfers van het KvK-nummer in."),
        ({"kvk_number": "99999999"}, "Er is geen organisatie geregistreerd onder dit nummer"),
        ({"explanation": "  "}, "Leg in ten hoogste 2000 tekens uit"),
        ({"explanation": "x" * 2001}, "Leg in ten hoogste 2000 tekens uit"),
        ({"claimed_name": ""}, "Vul de officiële naam van uw organisatie in"),
    ]
    for overrides, message in cases:
        response = _claim(client, **overrides)
        assert response.status_code == 422, overrides
        assert message in html.unescape(response.text), overrides
    assert session.scalar(select(func.count()).select_from(OrganisationDispute)) == 0
    assert _claim(client).status_code == 303
    again = _claim(client)
    assert again.status_code == 422 and "Deze registratie heeft u al gemeld" in html.unescape(again.text)
    client.cookies.clear()
    log_in(client, session, squatter, now=clock.now())
    own = _claim(client)
    assert own.status_code == 422 and "U bent al lid" in html.unescape(own.text)


def test_one_account_cannot_flood_the_queue(client: TestClient, session: Session, clock: FrozenClock) -> None:
    squatter = create_user(session, email="rival@squat.example", name="Rival")
    numbers = [f"7000000{n}" for n in range(MAX_OPEN_PER_CLAIMANT + 1)]
    for number in numbers:
        create_organisation(session, squatter, now=clock.now(), legal_name=f"Org {number}", kvk_number=number)
    spammer = create_user(session, email="spam@example.org", name="Spam")
    log_in(client, session, spammer, now=clock.now())
    statuses = [_claim(client, kvk_number=number).status_code for number in numbers]
    assert statuses == [303] * MAX_OPEN_PER_CLAIMANT + [422]


def test_administrators_verify_from_their_queue_and_staff_see_the_status(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _, organisation = _squatted(session, clock)
    admin = create_user(session, email="adam@mindef.example", name="Adam", roles=("administrator",))
    log_in(client, session, admin, now=clock.now())
    queue = client.get("/admin/organisations")
    assert queue.status_code == 200
    for shown in ("Squatted Name B.V.", f"KvK {SQUATTED_KVK}", "rival@squat.example"):
        assert shown in queue.text
    response = _post(client, f"/admin/organisations/{organisation.id}/verify")
    assert response.status_code == 303 and response.headers["location"] == "/admin/organisations?done=verified"
    session.refresh(organisation)
    assert (organisation.status, organisation.verified_by_id) == ("verified", admin.id)
    assert "organisation.verified" in _actions(session)
    after = client.get("/admin/organisations?done=verified").text
    assert "De organisatie is geverifieerd." in after and "Squatted Name B.V." not in after
    assert "Iedere organisatie is geverifieerd." in after
    twice = _post(client, f"/admin/organisations/{organisation.id}/verify")
    assert twice.status_code == 400  # already verified: refused, nothing changes


def test_upholding_a_dispute_hands_the_organisation_to_the_claimant(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    squatter, organisation = _squatted(session, clock)
    log_in(TestClient(client.app), session, squatter, now=clock.now())  # the squatter's own session
    session.execute(
        AuthSession.__table__.update().values(acting_organisation_id=organisation.id)  # type: ignore[attr-defined]
    )
    owner = create_user(session, email="director@echte.example", name="Director", language="en")
    log_in(client, session, owner, now=clock.now())
    assert _claim(client).status_code == 303
    dispute = session.scalars(select(OrganisationDispute)).one()
    client.cookies.clear()
    admin = create_user(session, email="adam@mindef.example", name="Adam", roles=("administrator",))
    log_in(client, session, admin, now=clock.now())
    queue = client.get("/admin/organisations").text
    assert "Echte Firma B.V." in queue and "Ik ben de directeur." in queue and "director@echte.example" in queue

    no_reason = _post(client, f"/admin/disputes/{dispute.id}/resolve", {"decision": "uphold", "note": " "})
    assert no_reason.status_code == 422 and "Schrijf de reden van uw besluit" in html.unescape(no_reason.text)
    session.refresh(dispute)
    assert dispute.status == "open"

    done = _post(client, f"/admin/disputes/{dispute.id}/resolve", {"decision": "uphold", "note": "KvK checked."})
    assert done.status_code == 303 and done.headers["location"] == "/admin/organisations?done=upheld"
    session.expire_all()
    members = {m.user_id: m.role for m in session.scalars(select(Membership))}
    assert members == {owner.id: "admin"}
    assert session.get_one(OrganisationDispute, dispute.id).status == "upheld"
    assert all(a.acting_organisation_id is None for a in session.scalars(select(AuthSession)))
    assert {"organisation_dispute.upheld", "organisation.handed_over"} <= set(_actions(session))
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == owner.email)).one()
    assert mail.subject == "Your report about a registration on the portal: upheld"
    assert "KvK checked." in mail.body_text


def test_dismissing_a_dispute_keeps_the_registration_and_tells_the_claimant(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    squatter, _ = _squatted(session, clock)
    owner = create_user(session, email="director@echte.example", name="Director")
    log_in(client, session, owner, now=clock.now())
    assert _claim(client).status_code == 303
    dispute = session.scalars(select(OrganisationDispute)).one()
    client.cookies.clear()
    log_in(
        client, session, create_user(session, email="adam@mindef.example", roles=("administrator",)), now=clock.now()
    )
    done = _post(client, f"/admin/disputes/{dispute.id}/resolve", {"decision": "dismiss", "note": "Registratie klopt."})
    assert done.status_code == 303
    session.expire_all()
    assert {m.user_id for m in session.scalars(select(Membership))} == {squatter.id}
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == owner.email)).one()
    assert mail.subject == "Uw melding over een registratie op het portaal: niet toegekend"
    assert "Registratie klopt." in mail.body_text
    again = _post(client, f"/admin/disputes/{dispute.id}/resolve", {"decision": "uphold", "note": "Toch wel."})
    assert again.status_code == 400  # already settled


def test_staff_see_whether_an_organisation_is_verified_wherever_they_see_it(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from tests.evaluations.helpers import after_deadline, build_scenario

    s = build_scenario(session, proposals=2, evaluators=1)
    s.organisations[0].status, s.organisations[0].verified_at = "verified", clock.now()
    session.commit()
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    pages = {
        "proposals": f"/manage/challenges/{s.challenge.slug}/proposals",
        "proposal": f"/manage/challenges/{s.challenge.slug}/proposals/{s.proposals[1].id}",
        "eligibility": f"{s.base}/eligibility",
        "results": f"{s.base}/results",
        "decisions": f"{s.base}/decisions",
    }
    for name, url in pages.items():
        page = client.get(url)
        assert page.status_code == 200, name
        assert 'badge-upcoming">Niet geverifieerd</span>' in page.text, name  # Firma1 is not verified
        if name != "proposal":
            assert 'badge-open">Geverifieerd</span>' in page.text, name  # Firma0 is

"""The eligibility page decides with the facts in view: a link to each proposal, the facts eligibility turns
on against the challenge's rules, nothing pre-selected, and a save without a choice refused at the field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations.models import EligibilityDecision
from app.notifications.models import OutboxMessage
from tests.evaluations.helpers import Scenario, after_deadline, build_scenario, make_organisation, post, submit_proposal
from tests.factories import log_in

RULES = {
    "text": {"nl": "Alleen mkb uit de Benelux.", "en": "Benelux SMEs only."},
    "sme_only": True,
    "max_partners": 1,
    "lead_countries": ["NL", "BE"],
}
PARTNER = {
    "organisation_id": None,
    "legal_name": "Partner GmbH",
    "kvk_number": None,
    "country": "DE",
    "registry_id": "HRB 999",
    "role": "sensor",
    "share": 20,
}


def _section(page: str, proposal_id: int) -> str:
    """One proposal's card on the page."""
    return page.split(f'aria-labelledby="p{proposal_id}-title"')[1].split("</section>")[0]


def _scenario(session: Session, clock: FrozenClock, **eligibility: Any) -> tuple[Scenario, Any]:
    """One proposal within every rule (from build_scenario) and one outside every rule."""
    s = build_scenario(session, proposals=1, evaluators=0, definition={"eligibility": {**RULES, **eligibility}})
    outsider = make_organisation(session, name="Grote Drohnen GmbH", kvk="30303030")
    outsider.kvk_number, outsider.country, outsider.registry_id, outsider.is_sme = None, "DE", "HRB 1", False
    session.commit()
    other = submit_proposal(session, challenge=s.challenge, organisation=outsider, partners=[PARTNER, PARTNER], trl=8)
    after_deadline(clock)
    return s, other


def test_eligibility_page_links_each_proposal_to_its_staff_page(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, other = _scenario(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/eligibility").text
    for proposal in (s.proposals[0], other):
        link = f'<a href="/manage/challenges/{s.challenge.slug}/proposals/{proposal.id}">Lees voorstel {proposal.reference} zoals ingediend</a>'
        assert link in _section(page, proposal.id)
    staff_page = client.get(f"/manage/challenges/{s.challenge.slug}/proposals/{other.id}")
    assert staff_page.status_code == 200
    assert "Grote Drohnen GmbH" in staff_page.text


def test_eligibility_page_shows_the_rules_and_the_facts_against_them(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, other = _scenario(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/eligibility").text
    rules = page.split('aria-labelledby="rules-title"')[1].split("</section>")[0]
    assert "<p>Alleen mkb uit de Benelux.</p>" in rules
    assert "<dt>Open voor</dt><dd>Alleen het midden- en kleinbedrijf (mkb)</dd>" in rules
    assert "<dt>Consortia</dt><dd>Toegestaan, met ten hoogste 1 partners</dd>" in rules
    assert "<dt>Penvoerder gevestigd in</dt><dd>Nederland, België</dd>" in rules
    assert "<dt>Verwacht TRL</dt><dd>4 tot en met 7</dd>" in rules

    within = _section(page, s.proposals[0].id)
    assert "<dt>Ontvangen</dt><dd>20 februari 2027, 13:00 CET</dd>" in within
    assert "<dt>Land van de penvoerder</dt><dd>Nederland</dd>" in within
    assert "<dt>Midden- of kleinbedrijf (mkb)</dt><dd>Ja</dd>" in within
    assert "<dt>Partners in het consortium</dt><dd>0</dd>" in within
    assert "<dt>Opgegeven TRL</dt><dd>5 (verwacht 4 tot en met 7)</dd>" in within
    assert "<strong>" not in within.split("<dt>Huidige beslissing</dt>")[0]

    outside = _section(page, other.id)
    assert "<dd>Duitsland: <strong>geen land dat deze challenge toelaat</strong></dd>" in outside
    assert "<dd>Nee: <strong>deze challenge staat alleen open voor het mkb</strong></dd>" in outside
    assert "<dd>2: <strong>meer dan de 1 partners die deze challenge toestaat</strong></dd>" in outside
    assert "<dd>8 (verwacht 4 tot en met 7): <strong>buiten het verwachte bereik</strong></dd>" in outside


def test_eligibility_page_says_when_consortia_are_not_accepted(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, other = _scenario(session, clock, consortium_allowed=False, max_partners=None)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/eligibility").text
    assert "<dt>Consortia</dt><dd>Niet toegestaan: de penvoerder werkt alleen</dd>" in page
    assert "<dd>2: <strong>deze challenge staat geen consortia toe</strong></dd>" in _section(page, other.id)
    assert "<dd>0</dd>" in _section(page, s.proposals[0].id)


def test_eligibility_page_in_english(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s, other = _scenario(session, clock)
    s.coordinator.language = "en"
    session.commit()
    log_in(client, session, s.coordinator, now=clock.now())
    client.get("/language/en")
    page = client.get(f"{s.base}/eligibility").text
    assert "<p>Benelux SMEs only.</p>" in page
    outside = _section(page, other.id)
    assert (
        "<dt>Country of the lead organisation</dt><dd>Germany: <strong>not a country this challenge allows</strong>"
        in (outside)
    )
    assert f"Read proposal {other.reference} as submitted" in outside


def test_eligibility_page_preselects_nothing_without_a_decision(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, other = _scenario(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/eligibility").text
    for proposal in (s.proposals[0], other):
        section = _section(page, proposal.id)
        assert 'name="admissible" value="yes">' in section and 'name="admissible" value="no">' in section
        assert " checked" not in section


def test_eligibility_without_a_choice_is_refused_next_to_the_field(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, other = _scenario(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    url = f"{s.base}/eligibility/{other.id}"
    for data in ({"reason": "Buitenlandse penvoerder."}, {"admissible": "", "reason": "Buitenlandse penvoerder."}):
        response = post(client, url, data)
        assert response.status_code == 422
        section = _section(response.text, other.id)
        field = section.split(f'id="admissible-{other.id}"')[1].split("</fieldset>")[0]
        assert f'<p class="error-message" id="admissible-{other.id}-error">' in field
        assert "Kies een van de mogelijkheden." in field
        assert ">Buitenlandse penvoerder.</textarea>" in section
        assert (
            f'<a href="#admissible-{other.id}">Is {other.reference} ontvankelijk?: Kies een van de mogelijkheden.</a>'
            in response.text
        )
        assert "error-message" not in _section(response.text, s.proposals[0].id)
    assert session.get(EligibilityDecision, other.id) is None
    assert session.scalar(select(OutboxMessage).where(OutboxMessage.template == "evaluation_eligibility")) is None


def test_eligibility_without_a_reason_is_refused_next_to_that_proposals_reason(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, other = _scenario(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(client, f"{s.base}/eligibility/{other.id}", {"admissible": "no", "reason": ""})
    assert response.status_code == 422
    section = _section(response.text, other.id)
    assert f'<p class="error-message" id="reason-{other.id}-error">' in section
    assert 'value="no" checked>' in section
    assert (
        f'<a href="#reason-{other.id}">{other.reference} — Reden (verplicht bij niet ontvankelijk): Geef de reden waarom het voorstel niet ontvankelijk is.</a>'
        in response.text
    )


def test_eligibility_existing_decision_is_shown_selected(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, other = _scenario(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    assert (
        post(client, f"{s.base}/eligibility/{other.id}", {"admissible": "no", "reason": "Te groot."}).status_code == 303
    )
    assert post(client, f"{s.base}/eligibility/{s.proposals[0].id}", {"admissible": "yes"}).status_code == 303
    page = client.get(f"{s.base}/eligibility").text
    refused = _section(page, other.id)
    assert 'value="no" checked>' in refused and 'value="yes" checked>' not in refused
    assert ">Te groot.</textarea>" in refused
    admitted = _section(page, s.proposals[0].id)
    assert 'value="yes" checked>' in admitted and 'value="no" checked>' not in admitted

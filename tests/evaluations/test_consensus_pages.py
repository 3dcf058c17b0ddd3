"""What the coordinator sees of consensus and calibration: the consensus form says the company reads the
rationale, who recorded the consensus and when, a confirmation after recording it, the "consensus required"
notices clearing once it is recorded, and calibration that says when it has too little data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.i18n import translate
from tests.evaluations.helpers import after_deadline, build_scenario, later, post
from tests.evaluations.test_decisions import _consensus, _score
from tests.factories import log_in
from tests.markup import without_labels

HINT = "Shown to the company word for word with its decision; no evaluator names."
PUBLIC = (
    "Each consensus score and its rationale are shown to the company word for word with its decision, once the "
    "decisions are released. Write every rationale for the company: name no evaluators and leave out internal "
    "remarks."
)
RECORDED_BY = "Recorded by %(name)s on %(time)s."
CONFIRMED = "The consensus has been recorded."
REQUIRED = "Consensus is required for this proposal."
RESOLVED = "The evaluators disagreed; the consensus has been recorded."
RESULTS_REQUIRED = "Consensus required: the evaluators disagree."
RESULTS_RECORDED = "Consensus recorded: the evaluators disagreed."
TOO_LITTLE = "Calibration has too little data."
EVALUATOR_TOO_LITTLE = "Too little data for calibration: %(n)s of the %(needed)s evaluations needed."


def _language(client: TestClient, language: str) -> None:
    client.cookies.set("portal_lang", language)


def _t(language: str, message: str, **params: object) -> str:
    return str(escape(translate(language, message, **params)))


# --- point 7: the form says the company reads the rationale -------------------------------------


@pytest.mark.parametrize(
    ("language", "hint"),
    [
        ("nl", "Wordt woordelijk aan het bedrijf getoond bij het besluit; noem geen beoordelaars."),
        ("en", "Shown to the company word for word with its decision; no evaluator names."),
    ],
)
def test_consensus_form_says_the_rationale_is_shown_to_the_company(
    client: TestClient, session: Session, clock: FrozenClock, language: str, hint: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    _language(client, language)
    page = client.get(f"{s.base}/proposals/{s.proposals[0].id}")
    assert page.status_code == 200
    assert translate(language, HINT) == hint
    for key in ("effect", "safety"):
        assert f'<p class="hint" id="rationale_{key}-hint">{hint}</p>' in page.text
        assert f'name="rationale_{key}" rows="3" required aria-describedby="rationale_{key}-hint"' in page.text
    # The sentence stands above the form, not below it.
    sentence = page.text.index(_t(language, PUBLIC))
    assert sentence < page.text.index(f'{s.base}/proposals/{s.proposals[0].id}/consensus">')


# --- point 10: who recorded it and when, a confirmation, notices that clear ----------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_consensus_shows_who_recorded_it_and_when(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    later(clock, 30)  # 09:30 UTC: 10:30 in Amsterdam (CET)
    log_in(client, session, s.coordinator, now=clock.now())
    _language(client, language)
    url = f"{s.base}/proposals/{s.proposals[0].id}"
    before = client.get(url).text
    assert before.count(_t(language, "No consensus recorded yet.")) == 2
    data = {"score_effect": "2", "rationale_effect": "Sterk.", "score_safety": "1", "rationale_safety": "Veilig."}
    response = post(client, f"{url}/consensus", data)
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?done=consensus"
    page = client.get(response.headers["location"]).text
    time = "1 maart 2027, 10:30 CET" if language == "nl" else "1 March 2027, 10:30 CET"
    recorded = _t(language, RECORDED_BY, name=s.coordinator.name, time=time)
    assert f'<p class="consensus-recorded" id="recorded_effect">{recorded}</p>' in page
    assert f'<p class="consensus-recorded" id="recorded_safety">{recorded}</p>' in page
    assert f'<div class="notice notice-success" role="status"><p>{_t(language, CONFIRMED)}</p></div>' in page
    # The confirmation belongs to the redirect only.
    assert _t(language, CONFIRMED) not in client.get(url).text


def test_consensus_confirmation_needs_a_recorded_consensus(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/proposals/{s.proposals[0].id}?done=consensus")
    assert page.status_code == 200
    assert translate("nl", CONFIRMED) not in page.text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_consensus_required_notices_clear_once_recorded(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 1), (0, 1)]})  # effect 2 against 0: disagreement
    log_in(client, session, s.coordinator, now=clock.now())
    _language(client, language)
    proposal_url = f"{s.base}/proposals/{s.proposals[0].id}"
    proposal = client.get(proposal_url).text
    assert _t(language, REQUIRED) in proposal and _t(language, RESOLVED) not in proposal
    results = client.get(f"{s.base}/results").text
    assert _t(language, RESULTS_REQUIRED) in results and _t(language, RESULTS_RECORDED) not in results
    assert _consensus(client, s, 0, 1, 1) == 303
    proposal = client.get(proposal_url).text
    assert _t(language, REQUIRED) not in proposal
    assert (
        f'<strong class="badge badge-open">{_t(language, "Consensus recorded")}</strong> {_t(language, RESOLVED)}'
        in (proposal)
    )
    results = client.get(f"{s.base}/results").text
    assert _t(language, RESULTS_REQUIRED) not in results
    assert _t(language, RESULTS_RECORDED) in results


def test_consensus_notices_absent_without_disagreement(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(1, 1), (1, 1)]})
    log_in(client, session, s.coordinator, now=clock.now())
    assert _consensus(client, s, 0, 1, 1) == 303
    proposal = client.get(f"{s.base}/proposals/{s.proposals[0].id}").text
    results = client.get(f"{s.base}/results").text
    for message in (REQUIRED, RESOLVED):
        assert translate("nl", message) not in proposal
    for message in (RESULTS_REQUIRED, RESULTS_RECORDED):
        assert translate("nl", message) not in results


# --- point 8: calibration with too little data ----------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_calibration_with_two_evaluations_per_evaluator_has_too_little_data(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=2, evaluators=2)
    after_deadline(clock)
    # Without the minimum both evaluators' z-scores are -1 and +1: both proposals would get the same total.
    _score(session, s, clock, {0: [(2, 2), (1, 1)], 1: [(0, 1), (2, 1)]})
    log_in(client, session, s.coordinator, now=clock.now())
    _language(client, language)
    page = client.get(f"{s.base}/calibration")
    assert page.status_code == 200
    assert _t(language, TOO_LITTLE) in page.text
    for evaluator in s.evaluators:
        assert f"<li>{evaluator.name}: {_t(language, EVALUATOR_TOO_LITTLE, n=2, needed=3)}</li>" in page.text
    assert _t(language, "Normalised total") not in page.text
    assert _t(language, "Mean z-score") not in page.text
    assert "<table>" not in page.text
    assert s.proposals[0].reference not in page.text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_calibration_with_enough_data_shows_distinct_normalised_totals(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = build_scenario(session, proposals=3, evaluators=3)
    after_deadline(clock)
    # Evaluators A and B evaluate all three proposals; C only the first, which must not count.
    _score(session, s, clock, {0: [(2, 2), (2, 1), (1, 1)], 1: [(1, 1), (2, 2)], 2: [(0, 1), (0, 0)]})
    log_in(client, session, s.coordinator, now=clock.now())
    _language(client, language)
    page = without_labels(client.get(f"{s.base}/calibration").text)
    assert _t(language, TOO_LITTLE) not in page
    first, second, third = s.evaluators
    assert f'<tr><th scope="row">{first.name}</th><td>3</td><td>1.13</td><td>0.66</td><td>-0.03</td></tr>' in page
    assert f'<tr><th scope="row">{second.name}</th><td>3</td><td>1.20</td><td>0.86</td><td>0.03</td></tr>' in page
    too_little = _t(language, EVALUATOR_TOO_LITTLE, n=1, needed=3)
    assert f'<tr><th scope="row">{third.name}</th><td>1</td><td colspan="3">{too_little}</td></tr>' in page
    # Per proposal: evaluations counted, mean total, mean z-score, normalised total (C's 1.00 left out).
    a, b, c = (p.reference for p in s.proposals)
    assert f'<tr><th scope="row">{a}</th><td>2</td><td>1.80</td><td>0.89</td><td>1.85</td></tr>' in page
    assert f'<tr><th scope="row">{b}</th><td>2</td><td>1.50</td><td>0.36</td><td>1.45</td></tr>' in page
    assert f'<tr><th scope="row">{c}</th><td>2</td><td>0.20</td><td>-1.25</td><td>0.20</td></tr>' in page

"""The results and ranking page fits a 1280-pixel-wide window on realistic data (three criteria, long
organisation names, disagreement, consensus, a knocked-out proposal), in Dutch and English, with axe."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from app.evaluations.assignments import service as assignment_service
from app.evaluations.pool import service as pool_service
from app.evaluations.results import service as results_service
from app.evaluations.schemas import DeclarationForm
from app.evaluations.scoring import service as evaluator_service
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import (
    AFTER_DEADLINE,
    Scenario,
    actor,
    build_scenario,
    make_organisation,
    submit_proposal,
)
from tests.factories import LINKS

pytestmark = pytest.mark.browser


def _text(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


CRITERIA = [
    {
        "key": "effect",
        "title": _text("Operationeel effect en detectiebereik", "Operational effect and detection range"),
        "description": _text("Effect.", "Effect."),
        "weight": 45,
    },
    {
        "key": "safety",
        "title": _text("Veiligheid en certificeerbaarheid", "Safety and certifiability"),
        "description": _text("Veilig.", "Safe."),
        "weight": 35,
        "minimum": 2,
    },
    {
        "key": "cost",
        "title": _text("Kosten over de hele levenscyclus", "Whole-life cost"),
        "description": _text("Kosten.", "Cost."),
        "weight": 20,
    },
]
SCALE = {
    "min": 0,
    "max": 5,
    "levels": [
        {"value": v, "label": _text(f"Niveau {v}", f"Level {v}"), "descriptor": _text(f"Niveau {v}.", f"Level {v}.")}
        for v in range(6)
    ],
}
ORGANISATIONS = [
    "Koninklijke Nederlandse Sensor- en Detectietechnologie Consortium Noord-Brabant B.V.",
    "Stichting Toegepast Wetenschappelijk Onderzoek naar Onbemande Systemen en Contra-Drone Maatregelen",
    "International Counter-UAS Integration, Training and Lifecycle Support Services Europe GmbH & Co. KG",
    "Twentse Precisietechniek en Radarontwikkeling voor Defensie en Veiligheid Coöperatie U.A.",
    "Maritime Electro-Optical Surveillance Systems and Autonomous Interceptors Holding N.V.",
]
# Per proposal, each of three evaluators' (effect, safety, cost); then the consensus.
SCORES = [
    ([(5, 4, 3), (2, 4, 3), (4, 5, 2)], (4, 4, 3)),
    ([(3, 3, 3), (3, 2, 4), (3, 3, 3)], (3, 3, 3)),
    ([(5, 1, 5), (4, 0, 4), (5, 1, 5)], (5, 1, 5)),  # safety below its minimum of 2: knocked out
    ([(2, 3, 1), (4, 3, 1), (3, 3, 2)], (3, 3, 1)),
    ([(1, 2, 0), (5, 2, 0), (0, 3, 1)], (2, 2, 1)),
]


def _evaluate(session: Session, s: Scenario) -> None:
    """Three evaluators score every proposal (with disagreement), the coordinator records every consensus."""
    now = AFTER_DEADLINE
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=now
        )
    for proposal, (rows, consensus) in zip(s.proposals, SCORES, strict=True):
        for evaluator, (effect, safety, cost) in zip(s.evaluators, rows, strict=True):
            assignment = assignment_service.assign(
                session,
                challenge=s.challenge,
                stage=s.stage,
                proposal_id=proposal.id,
                evaluator_id=evaluator.id,
                actor=actor(s.coordinator),
                now=now,
                links=LINKS,
            )
            opened = evaluator_service.open_assignment(session, assignment_id=assignment.id, user=evaluator, now=now)
            form = DeclarationForm(has_conflict=False)
            evaluator_service.declare(session, opened=opened, form=form, actor=actor(evaluator), now=now, links=LINKS)
            raw = {
                "effect": (str(effect), "Onderbouwing van het effect."),
                "safety": (str(safety), "Onderbouwing van de veiligheid."),
                "cost": (str(cost), "Onderbouwing van de kosten."),
            }
            evaluator_service.save_evaluation(
                session, opened=opened, raw=raw, assessed_trl="6", submit=True, actor=actor(evaluator), now=now
            )
        entries = {
            key: (str(value), "Besproken in het consensusoverleg.")
            for key, value in zip(("effect", "safety", "cost"), consensus, strict=True)
        }
        results_service.record_consensus(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            entries=entries,
            actor=actor(s.coordinator),
            now=now,
        )
    session.commit()


def _scenario(server: LiveServer) -> Any:
    prefix = f"r{secrets.token_hex(3)}"
    kvk = 40_000_000 + secrets.randbelow(9_000) * 1_000
    with server.db.unit_of_work() as session:
        s = build_scenario(
            session, proposals=0, evaluators=3, prefix=prefix, definition={"criteria": CRITERIA, "scale": SCALE}
        )
        for index, name in enumerate(ORGANISATIONS):
            organisation = make_organisation(session, name=name, kvk=str(kvk + index))
            s.proposals.append(submit_proposal(session, challenge=s.challenge, organisation=organisation))
        _evaluate(session, s)
        session.expunge_all()
    return s


@pytest.mark.parametrize("language", ["nl", "en"])
def test_results_page_fits_a_1280_pixel_window(browser: Browser, server: LiveServer, language: str) -> None:
    s = _scenario(server)
    server.clock.set(AFTER_DEADLINE)
    context = logged_in_context(browser, server, s.coordinator, language)
    try:
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(s.base + "/results")
        for name in ORGANISATIONS:
            assert name in page.locator("main").inner_text()
        assert page.locator("strong.badge").count() >= 3  # the disagreements are flagged
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"the results page is {width} pixels wide"
        assert_accessible(page)
    finally:
        context.close()
        server.clock.set(DEFAULT_NOW)

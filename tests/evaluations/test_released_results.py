"""What the company is told at release, on its decision page and in the e-mail: per criterion the weight,
consensus score and rationale, the weighted total, the rank among the ranked proposals, and the knock-out
rule that decided it; kept as released. And what the coordinators' exports carry."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations import service as evaluation_service
from app.evaluations.models import ConsensusScore, EligibilityDecision
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.security import service as security_service
from app.notifications.models import OutboxMessage
from tests.evaluations.helpers import Scenario, actor, after_deadline, approve_through_the_web, build_scenario, post
from tests.evaluations.test_decisions import _score
from tests.factories import log_in
from tests.markup import without_labels

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")

# Per proposal: consensus (effect, safety) with its rationales; effect weighs 60, safety 40 (minimum 1), the
# total minimum is 1.0 on a 0-2 scale.
CONSENSUS = {
    0: (2, 2, "Overtuigend effect.", "Veilig ontwerp."),  # 2.00: rank 1
    1: (1, 2, "Beperkt bereik.", "Goed geborgd."),  # 1.40: rank 2
    2: (2, 0, "Sterk effect.", "Geen veiligheidsanalyse."),  # safety 0 < 1: knocked out
    3: (0, 1, "Geen aantoonbaar effect.", "Matig."),  # 0.40 < 1.0: knocked out by the total
}


def _release(client: TestClient, session: Session, s: Scenario, clock: FrozenClock, language: str) -> None:
    """Consensus, a decision for every proposal, approval by a second coordinator and release; every company
    reads ``language``."""
    for company in s.companies:
        company.language = language
    session.commit()
    log_in(client, session, s.coordinator, now=clock.now())
    for index, (effect, safety, why_effect, why_safety) in CONSENSUS.items():
        data = {
            "score_effect": str(effect),
            "rationale_effect": why_effect,
            "score_safety": str(safety),
            "rationale_safety": why_safety,
        }
        assert post(client, f"{s.base}/proposals/{s.proposals[index].id}/consensus", data).status_code == 303
        outcome = {"outcome": "award" if index == 0 else "reject", "feedback": f"Terugkoppeling {index}."}
        assert post(client, f"{s.base}/proposals/{s.proposals[index].id}/decision", outcome).status_code == 303
    assert approve_through_the_web(client, session, s, clock.now()).status_code == 303
    assert post(client, f"{s.base}/decisions/release").status_code == 303


def _scenario(session: Session, clock: FrozenClock) -> Scenario:
    s = build_scenario(session, proposals=4, evaluators=2, definition={"knockout_total_minimum": 1.0})
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 2), (2, 1)], 1: [(1, 2), (0, 2)], 2: [(2, 0), (2, 0)], 3: [(0, 1), (0, 1)]})
    return s


def _mail(session: Session, s: Scenario, index: int) -> str:
    address = s.companies[index].email
    return session.scalars(
        select(OutboxMessage.body_text).where(
            OutboxMessage.template == "decision_released", OutboxMessage.to_address == address
        )
    ).one()


def _page(client: TestClient, session: Session, s: Scenario, clock: FrozenClock, index: int, language: str) -> str:
    log_in(client, session, s.companies[index], now=clock.now())
    client.cookies.set("portal_lang", language)
    response = client.get(f"/proposals/{s.proposals[index].id}/decision")
    assert response.status_code == 200
    return without_labels(response.text)


EXPECTED = {
    "nl": {
        "ranked_rows": [
            '<tr><th scope="row">Effect</th><td>60%</td><td>1 / 2</td><td>Beperkt bereik.</td></tr>',
            '<tr><th scope="row">Veiligheid</th><td>40%</td><td>2 / 2</td><td>Goed geborgd.</td></tr>',
            '<tr><th scope="row">Gewogen totaal</th><td>100%</td><td>1.40 / 2</td><td></td></tr>',
        ],
        "rank": "<p>Rang 2 van 2 gerangschikte voorstellen.</p>",
        "not_ranked": "<p>Niet gerangschikt: het voorstel voldeed niet aan een knock-outregel.</p>",
        "criterion_rule": "<li>Criterium Veiligheid scoorde 0, onder het minimum van 1.</li>",
        "total_rule": "<li>Het gewogen totaal 0.40 ligt onder het minimum van 1.0.</li>",
        "mail_ranked": (
            "Consensusscores per criterium:\n"
            "- Effect (weging 60%): 1 / 2\n"
            "  Motivering: Beperkt bereik.\n"
            "- Veiligheid (weging 40%): 2 / 2\n"
            "  Motivering: Goed geborgd.\n"
            "\n"
            "Gewogen totaal: 1.40 / 2\n"
            "\n"
            "Rang 2 van 2 gerangschikte voorstellen.\n"
        ),
        "mail_knocked_out": (
            "Gewogen totaal: 1.20 / 2\n"
            "\n"
            "Niet gerangschikt: het voorstel voldeed niet aan een knock-outregel.\n"
            "- Criterium Veiligheid scoorde 0, onder het minimum van 1.\n"
        ),
    },
    "en": {
        "ranked_rows": [
            '<tr><th scope="row">Effect</th><td>60%</td><td>1 / 2</td><td>Beperkt bereik.</td></tr>',
            '<tr><th scope="row">Safety</th><td>40%</td><td>2 / 2</td><td>Goed geborgd.</td></tr>',
            '<tr><th scope="row">Weighted total</th><td>100%</td><td>1.40 / 2</td><td></td></tr>',
        ],
        "rank": "<p>Rank 2 of 2 ranked proposals.</p>",
        "not_ranked": "<p>Not ranked: the proposal did not pass a knock-out rule.</p>",
        "criterion_rule": "<li>Criterion Safety scored 0, below its minimum of 1.</li>",
        "total_rule": "<li>The weighted total 0.40 is below the minimum of 1.0.</li>",
        "mail_ranked": (
            "Consensus scores per criterion:\n"
            "- Effect (weight 60%): 1 / 2\n"
            "  Rationale: Beperkt bereik.\n"
            "- Safety (weight 40%): 2 / 2\n"
            "  Rationale: Goed geborgd.\n"
            "\n"
            "Weighted total: 1.40 / 2\n"
            "\n"
            "Rank 2 of 2 ranked proposals.\n"
        ),
        "mail_knocked_out": (
            "Weighted total: 1.20 / 2\n"
            "\n"
            "Not ranked: the proposal did not pass a knock-out rule.\n"
            "- Criterion Safety scored 0, below its minimum of 1.\n"
        ),
    },
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_decision_page_and_mail_of_a_ranked_proposal_show_weights_total_and_rank(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = _scenario(session, clock)
    _release(client, session, s, clock, language)
    expected = EXPECTED[language]
    mail = _mail(session, s, 1)
    assert expected["mail_ranked"] in mail
    page = _page(client, session, s, clock, 1, language)
    for row in expected["ranked_rows"]:
        assert row in page
    assert expected["rank"] in page
    assert expected["criterion_rule"] not in page
    for evaluator in s.evaluators:
        assert evaluator.name not in page and evaluator.email not in page
        assert evaluator.name not in mail and evaluator.email not in mail


@pytest.mark.parametrize("language", ["nl", "en"])
def test_decision_page_and_mail_of_a_knocked_out_proposal_name_the_rule(
    client: TestClient, session: Session, clock: FrozenClock, language: str
) -> None:
    s = _scenario(session, clock)
    _release(client, session, s, clock, language)
    expected = EXPECTED[language]
    assert expected["mail_knocked_out"] in _mail(session, s, 2)
    by_criterion = _page(client, session, s, clock, 2, language)
    assert expected["not_ranked"] in by_criterion
    assert expected["criterion_rule"] in by_criterion
    assert expected["total_rule"] not in by_criterion
    assert "2 / 2</td><td>Sterk effect.</td>" in by_criterion
    by_total = _page(client, session, s, clock, 3, language)
    assert expected["not_ranked"] in by_total
    assert expected["total_rule"] in by_total
    assert expected["criterion_rule"] not in by_total
    assert expected["rank"] not in by_total


def test_decision_page_stays_as_released_when_the_consensus_changes_later(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _scenario(session, clock)
    _release(client, session, s, clock, "en")
    # A later change (a repair in the database, say) does not rewrite what the company was told.
    for row in session.scalars(select(ConsensusScore).where(ConsensusScore.proposal_id == s.proposals[1].id)):
        row.score, row.rationale = 0, "Later gewijzigd."
    session.commit()
    page = _page(client, session, s, clock, 1, "en")
    assert "<td>60%</td><td>1 / 2</td><td>Beperkt bereik.</td>" in page
    assert "<p>Rank 2 of 2 ranked proposals.</p>" in page
    assert "Later gewijzigd." not in page


def _assess(session: Session, s: Scenario, clock: FrozenClock) -> None:
    """The first evaluator submits a security assessment for proposal 0; the second leaves a draft."""
    assignments = evaluation_service.assignments_for_stage(session, stage_id=s.stage.id)
    for evaluator, rating, submit in ((s.evaluators[0], "high", True), (s.evaluators[1], "low", False)):
        assignment = next(
            a for a in assignments if a.evaluator_id == evaluator.id and a.proposal_id == s.proposals[0].id
        )
        opened = evaluator_service.open_assignment(
            session, assignment_id=assignment.id, user=evaluator, now=clock.now()
        )
        factors = {f: {"rating": rating, "justification": f"Onderbouwd {rating} {f}."} for f in FACTORS}
        security_service.save_assessment(
            session, opened=opened, factors=factors, submit=submit, actor=actor(evaluator), now=clock.now()
        )
    session.add(
        EligibilityDecision(
            proposal_id=s.proposals[1].id, admissible=True, reason="Tijdig en volledig.", decided_at=clock.now()
        )
    )
    session.commit()


def _csv(client: TestClient, url: str, **params: str) -> list[dict[str, str]]:
    response = client.get(url, params=params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(client: TestClient, url: str, **params: str) -> list[dict[str, object]]:
    response = client.get(url, params=params)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    # Trailing empty cells are not stored, so a row may be shorter than the header.
    return [dict(zip(header, row + [None] * (len(header) - len(row)), strict=True)) for row in rows]  # type: ignore[arg-type]


@pytest.mark.parametrize("anonymous", [False, True])
def test_exports_carry_justifications_trl_security_consensus_eligibility_and_decisions(
    client: TestClient, session: Session, clock: FrozenClock, anonymous: bool
) -> None:
    s = _scenario(session, clock)
    _assess(session, s, clock)
    _release(client, session, s, clock, "en")
    client.cookies.set("portal_lang", "en")
    params = {"names": "no"} if anonymous else {}
    for rows in (_csv(client, f"{s.base}/export.csv", **params), _xlsx(client, f"{s.base}/export.xlsx", **params)):
        by_reference = {row["Proposal"]: row for row in rows}
        first, second = by_reference[s.proposals[0].reference], by_reference[s.proposals[1].reference]
        knocked = by_reference[s.proposals[2].reference]
        as_text = {key: "" if value is None else str(value) for key, value in first.items()}
        assert (as_text["Rank"], as_text["Decision"], as_text["Decision status"]) == ("1", "Award", "released")
        assert (as_text["Effect (60%): Evaluator 1"], as_text["Effect (60%): Evaluator 1 justification"]) == (
            "2",
            "Effect-tekst.",
        )
        assert as_text["Safety (40%): Evaluator 2 justification"] == "Veiligheid-tekst."
        assert as_text["Evaluator 1 assessed TRL"] == "5"
        assert as_text["Effect (60%): Consensus"] == "2"
        assert as_text["Effect (60%): Consensus rationale"] == "Overtuigend effect."
        assert as_text["Security risks and threats: Evaluator 1 rating"] == "High"
        assert as_text["Security risks and threats: Evaluator 1 justification"] == "Onderbouwd high security_risks."
        # A draft assessment is not exported.
        assert as_text["Security risks and threats: Evaluator 2 rating"] == ""
        assert "Onderbouwd low" not in " ".join(as_text.values())
        assert (str(second["Admissible"]), str(second["Eligibility reason"])) == ("Yes", "Tijdig en volledig.")
        assert str(second["Rank"]) == "2"
        assert str(knocked["Knocked out"]) == "Yes"
        assert knocked["Reasons"] == "Criterion Safety scored 0, below its minimum of 1."
        assert (knocked["Decision"], knocked["Decision status"]) == ("Reject", "released")
        cells = " ".join(str(value) for row in rows for value in row.values() if value is not None)
        for evaluator in s.evaluators:
            assert (evaluator.name in cells) is not anonymous
            assert evaluator.email not in cells

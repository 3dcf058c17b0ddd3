"""Every kind of reason the services produce, shown by every page that shows reasons, in Dutch and English.

The reasons are made by the pure services themselves (knock-outs, ranking, route recommendation, automatic
assignment), so their parameters have the types the pages really get. The set of messages they produce must
equal the set of messages that the code passes to ``Reason(...)`` anywhere in ``app/``: a new message is
covered automatically, or this test says which one is missing. The pages are fetched over HTTP with the
service that feeds them replaced by one that returns these reasons.
"""

from __future__ import annotations

import ast
import csv
import importlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations.assignments import rules as assignment_rules
from app.evaluations.assignments import service as assignment_service
from app.evaluations.results import rules as results_rules
from app.evaluations.results import service as results_service
from app.evaluations.route import rules as route
from app.evaluations.route import service as route_service
from app.evaluations.scoring import rules as scoring
from app.evaluations.scoring.rules import Reason
from app.i18n import translate
from tests.evaluations.helpers import Scenario, after_deadline, build_scenario, post
from tests.factories import log_in

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("nl", "en")

CRITERIA = [
    {
        "key": "effect",
        "title": {"nl": "Operationeel effect", "en": "Operational effect"},
        "description": {"nl": "Effect.", "en": "Effect."},
        "weight": 60,
    },
    {
        "key": "safety",
        "title": {"nl": "Veiligheid", "en": "Safety"},
        "description": {"nl": "Veilig.", "en": "Safe."},
        "weight": 40,
        "minimum": 1,
    },
]
TITLES = {key["key"]: key["title"] for key in CRITERIA}
SCALE = {
    "min": 0,
    "max": 5,
    "levels": [
        {"value": v, "label": {"nl": f"Niveau {v}", "en": f"Level {v}"}, "descriptor": {"nl": ".", "en": "."}}
        for v in range(6)
    ],
}
DECISION_DATE = date(2028, 1, 2)
RECEIVED = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


# --- which messages the code makes reasons of ------------------------------------------------------


def _reason_messages_in_code() -> dict[str, str]:
    """Every message passed to ``Reason(...)`` in ``app/``, mapped to where it is defined (module.NAME).

    The first argument must be a module-level constant (or a conditional between constants): a reason
    whose message is not a known msgid could not be translated, and fails here.
    """
    found: dict[str, str] = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "Reason")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "Reason")
            )
        ]
        if not calls:
            continue
        module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(module_name)
        for call in calls:
            first = call.args[0] if call.args else next(k.value for k in call.keywords if k.arg == "message")
            names = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for name in names:
                assert isinstance(name, ast.Name), f"{module_name}:{call.lineno}: Reason() without a message constant"
                found[getattr(module, name.id)] = f"{module_name}.{name.id}"
    return found


# --- the reasons, as the services make them --------------------------------------------------------


@dataclass(frozen=True)
class Produced:
    knock_outs: tuple[Reason, ...]
    tie_breaks: tuple[Reason, ...]
    route_reasons: tuple[Reason, ...]
    route_warnings: tuple[Reason, ...]
    route_factors: tuple[route.FactorLevel, ...]
    assignment: tuple[Reason, ...]

    def all(self) -> Iterator[Reason]:
        yield from self.knock_outs + self.tie_breaks + self.route_reasons + self.route_warnings + self.assignment


def _unique(reasons: Any) -> tuple[Reason, ...]:
    seen: dict[str, Reason] = {}
    for reason in reasons:
        seen.setdefault(reason.message, reason)
    return tuple(seen.values())


def _produce() -> Produced:
    rules = [scoring.CriterionRule("effect", 60), scoring.CriterionRule("safety", 40, minimum=1)]
    knock_outs = [
        *scoring.knock_out({"effect": None, "safety": 0}, rules, 3.0).reasons,  # missing; safety below 1
        *scoring.knock_out({"effect": 2, "safety": 1}, rules, 3.0).reasons,  # 1.2 + 0.4 = 1.6, below 3.0
    ]
    # 3 * 60 + 1 * 40 == 1 * 60 + 4 * 40: same total; then the same scores received later; then a later reference.
    entries = [
        results_rules.RankingEntry("P-000001", RECEIVED, {"effect": 3, "safety": 1}),
        results_rules.RankingEntry("P-000002", RECEIVED, {"effect": 1, "safety": 4}),
        results_rules.RankingEntry("P-000003", RECEIVED + timedelta(minutes=1), {"effect": 1, "safety": 4}),
        results_rules.RankingEntry("P-000004", RECEIVED + timedelta(minutes=1), {"effect": 1, "safety": 4}),
    ]
    tie_breaks = [item.tie_break for item in results_rules.ranking(entries, rules) if item.tie_break]

    high = {"security_risks": "high", "policy_goals": "medium", "armed_forces": "low", "industrial_capabilities": "low"}
    low = {factor.value: "low" for factor in route.SecurityFactor}
    threshold = [route.AdvThreshold(432_000, date(2026, 1, 1), date(2027, 12, 31))]
    cases: list[dict[str, Any]] = [
        {"military_equipment": True, "ratings": {1: high, 2: high, 3: low}},  # 346: factor high, dossier
        {"military_equipment": True, "ratings": {}},  # no assessments; value and threshold unknown
        {"military_equipment": True, "ratings": {1: low}, "estimated_value_eur": 500_000},  # no threshold
        {"military_equipment": False, "sensitive": False},  # neither
        {"sensitive": True, "thresholds": threshold, "decision_date": date(2027, 6, 1)},  # value unknown
        {
            "sensitive": True,
            "thresholds": threshold,
            "decision_date": date(2027, 6, 1),
            "estimated_value_eur": 1_000_000,
        },
        {"sensitive": True, "thresholds": threshold, "decision_date": date(2027, 6, 1), "estimated_value_eur": 431_999},
    ]
    reasons: list[Reason] = []
    warnings: list[Reason] = []
    factors: tuple[route.FactorLevel, ...] = ()
    made: list[route.RouteRecommendation] = []
    for case in cases:
        arguments: dict[str, Any] = {
            "military_equipment": False,
            "sensitive": False,
            "estimated_value_eur": None,
            "thresholds": (),
            "decision_date": DECISION_DATE,
            "ratings": {},
            **case,
        }
        advice = route.recommend_route(**arguments)
        reasons += advice.reasons
        warnings += advice.warnings
        factors = factors or advice.factors
        made.append(advice)
    # A consortium with members controlled from outside the EU/EEA; the challenge's route from each proposal's.
    made.append(route.recommend_route(**{**arguments, "members": 3, "flagged_members": 2}))
    for summary in (
        route.summarise([("P-000001", made[0]), ("P-000002", made[3])], without_proposals=made[1]),
        route.summarise([], without_proposals=made[1]),
    ):
        reasons += summary.reasons
        warnings += summary.warnings
    warnings += made[-1].warnings

    firm = assignment_rules.OrganisationIdentity(
        organisation_id=7, kvk_number="12345678", name="Firma Drone Systems B.V."
    )
    proposal = assignment_rules.ProposalParties("P-000001", (firm,))
    conflicted = assignment_rules.Evaluator(1, "a@mindef.example", affiliations=(firm,))
    member = assignment_rules.Evaluator(3, "c@mindef.example", memberships=(firm,))  # a tie never declared
    free = assignment_rules.Evaluator(2, "b@mindef.example")
    other = assignment_rules.ProposalParties("P-000002", ())
    assigned = [
        *assignment_rules.conflicts(conflicted, proposal),
        *assignment_rules.conflicts(member, proposal),
        *(s for plan in [assignment_rules.assign([proposal], [])] for short in plan.shortfalls for s in short.reasons),
        *(
            s
            for short in assignment_rules.assign([proposal], [conflicted, free], per_proposal=2).shortfalls
            for s in short.reasons
        ),
        *(
            s
            for short in assignment_rules.assign(
                [proposal, other], [free], per_proposal=1, max_per_evaluator=1
            ).shortfalls
            for s in short.reasons
        ),
    ]
    return Produced(
        knock_outs=_unique(knock_outs),
        tie_breaks=_unique(tie_breaks),
        route_reasons=_unique(reasons),
        route_warnings=_unique(warnings),
        route_factors=factors,
        assignment=_unique(assigned),
    )


PRODUCED = _produce()


def _expected(reason: Reason, language: str) -> str:
    """The reason as a person reads it, written out by hand for the values :func:`_produce` uses."""
    amounts = {"nl": {432_000: "432.000", 431_999: "431.999", 1_000_000: "1.000.000"}}
    amounts["en"] = {key: value.replace(".", ",") for key, value in amounts["nl"].items()}
    shown: dict[str, object] = {}
    for key, value in reason.params.items():
        if key == "criterion":
            shown[key] = TITLES[str(value)][language]
        elif key == "factor":
            shown[key] = translate(language, route.FACTOR_LABELS[route.SecurityFactor(str(value))])
        elif key == "route":
            shown[key] = translate(language, route.ROUTE_LABELS[route.ProcurementRoute(str(value))])
        elif key in {"value", "threshold"}:
            shown[key] = amounts[language][int(str(value))]
        elif isinstance(value, date):
            shown[key] = {DECISION_DATE: "02-01-2028"}[value]
        elif key == "total" and reason.message == scoring.MSG_BELOW_TOTAL_MINIMUM:
            shown[key] = {1.6: "1.60"}[float(str(value))]
        else:
            shown[key] = value
    return translate(language, reason.message, **shown)


def test_reasons_made_here_are_every_reason_the_code_makes() -> None:
    in_code = _reason_messages_in_code()
    made = {reason.message for reason in PRODUCED.all()}
    assert sorted(in_code[message] for message in set(in_code) - made) == []
    assert sorted(made - set(in_code)) == []


def test_reason_parameters_have_the_types_the_pages_format() -> None:
    """The display rules depend on these types: a float total gets 2 decimals, an int count stays an int."""
    params = {(reason.message, key): value for reason in PRODUCED.all() for key, value in reason.params.items()}
    assert type(params[(scoring.MSG_BELOW_TOTAL_MINIMUM, "total")]) is float
    assert type(params[(route.MSG_FACTOR_HIGH, "total")]) is int
    assert type(params[(route.MSG_FACTOR_HIGH, "count")]) is int
    assert type(params[(route.MSG_NO_THRESHOLD, "date")]) is date
    assert type(params[(route.MSG_AT_OR_ABOVE, "value")]) is int


# --- the pages --------------------------------------------------------------------------------------

# Every template that shows a reason, and the reasons it can be given.
PAGES = {
    "evaluations/results.html": PRODUCED.knock_outs + PRODUCED.tie_breaks,
    "evaluations/route.html": PRODUCED.route_reasons + PRODUCED.route_warnings,
    "evaluations/assignments.html": PRODUCED.assignment,
}


def test_every_template_that_shows_reasons_is_rendered_here() -> None:
    showing = {
        str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").rglob("*.html")
        if path.name != "_macros.html" and re.search(r"reason_text\(|reason\.message", path.read_text("utf-8"))
    }
    assert showing == set(PAGES)


@pytest.fixture
def scenario(session: Session, clock: FrozenClock, client: TestClient) -> Scenario:
    s = build_scenario(
        session,
        proposals=4,
        evaluators=1,
        definition={"criteria": CRITERIA, "scale": SCALE, "knockout_total_minimum": 3.0},
    )
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    return s


def _with_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    """The results feed: the first proposal carries every knock-out reason, the next ones a tie-break each."""
    real = results_service.stage_results

    def fake(*args: Any, **kwargs: Any) -> results_service.StageResults:
        outcome = real(*args, **kwargs)
        knocked_out = scoring.KnockOut(passes=False, complete=False, reasons=PRODUCED.knock_outs)
        for index, item in enumerate(outcome.ranking):
            assert item.ranked is not None
            tie_break = PRODUCED.tie_breaks[index - 1] if 0 < index <= len(PRODUCED.tie_breaks) else None
            item.ranked = replace(
                item.ranked, knock_out=knocked_out if index == 0 else item.ranked.knock_out, tie_break=tie_break
            )
        return outcome

    monkeypatch.setattr(results_service, "stage_results", fake)


def _assert_shown(text: str, reasons: tuple[Reason, ...], language: str) -> None:
    assert "%(" not in text
    for reason in reasons:
        assert str(escape(_expected(reason, language))) in text, reason
    # Keys are not shown where their titles belong.
    for key in ("security_risks", "policy_goals", "criterion effect", "criterion safety", "criterium safety"):
        assert key not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_results_page_shows_every_knock_out_and_tie_break_reason(
    client: TestClient, scenario: Scenario, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    _with_reasons(monkeypatch)
    client.cookies.set("portal_lang", language)
    page = client.get(f"{scenario.base}/results")
    assert page.status_code == 200
    _assert_shown(page.text, PAGES["evaluations/results.html"], language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_results_export_shows_every_knock_out_reason(
    client: TestClient, scenario: Scenario, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    _with_reasons(monkeypatch)
    client.cookies.set("portal_lang", language)
    response = client.get(f"{scenario.base}/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    reasons_column = rows[0].index(translate(language, "Reasons"))
    top = min(p.reference for p in scenario.proposals)  # no scores yet: ranked by reference, the top one carries them
    first = next(row for row in rows[1:] if row[1] == top)
    expected = " ".join(_expected(reason, language) for reason in PRODUCED.knock_outs)
    assert first[reasons_column] == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_route_page_shows_every_route_reason_and_warning(
    client: TestClient, scenario: Scenario, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    advice = route.RouteRecommendation(
        route=route.ProcurementRoute.ARTICLE_346,
        reasons=PRODUCED.route_reasons,
        warnings=PRODUCED.route_warnings,
        factors=PRODUCED.route_factors,
        threshold=None,
    )
    monkeypatch.setattr(route_service, "route_recommendation", lambda *args, **kwargs: advice)
    client.cookies.set("portal_lang", language)
    page = client.get(f"/manage/challenges/{scenario.challenge.slug}/evaluation/route")
    assert page.status_code == 200
    _assert_shown(page.text, PAGES["evaluations/route.html"], language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_assignments_page_shows_every_assignment_reason(
    client: TestClient, scenario: Scenario, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    short = assignment_rules.Shortfall(
        scenario.proposals[0].reference, needed=3, assigned=0, reasons=PRODUCED.assignment
    )
    outcome = assignment_service.AutoResult(created=0, shortfalls=(short,))
    monkeypatch.setattr(assignment_service, "auto_assign", lambda *args, **kwargs: outcome)
    client.cookies.set("portal_lang", language)
    page = post(client, f"{scenario.base}/assignments/auto", {"per_proposal": "3", "max_per_evaluator": "20"})
    assert page.status_code == 200
    _assert_shown(page.text, PAGES["evaluations/assignments.html"], language)

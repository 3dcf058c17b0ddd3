"""Small pure pieces of the evaluation domain: blind-scoring redaction, affiliation periods, thresholds."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.evaluations.affiliations.service import is_current
from app.evaluations.blind.rules import REDACTED, Identity, Redactor
from app.evaluations.models import EvaluatorAffiliation
from app.evaluations.route.service import default_threshold
from tests.factories import make_definition


def _affiliation(valid_from: date | None, valid_until: date | None) -> EvaluatorAffiliation:
    return EvaluatorAffiliation(
        user_id=1,
        organisation_name="X",
        nature="employment",
        valid_from=valid_from,
        valid_until=valid_until,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_redact_hides_names_case_insensitively() -> None:
    text = "ALPHA Drones B.V. en Alpha Drones b.v. (KvK 12345678) werken samen."
    redactor = Redactor.for_identities([Identity(names=("Alpha Drones B.V.",), numbers=("12345678",))])
    assert redactor.redact(text) == f"{REDACTED} en {REDACTED} (KvK {REDACTED}) werken samen."


def test_redact_leaves_text_without_names() -> None:
    assert Redactor(["alpha"]).redact("Passieve radar tot 5 km.") == "Passieve radar tot 5 km."


def test_affiliation_counts_until_three_years_after_it_ended() -> None:
    today = date(2027, 3, 1)
    assert is_current(_affiliation(None, None), today)
    assert is_current(_affiliation(date(2020, 1, 1), date(2024, 3, 2)), today)
    assert not is_current(_affiliation(date(2010, 1, 1), date(2023, 1, 1)), today)
    assert not is_current(_affiliation(date(2027, 6, 1), None), today)  # starts later


def test_default_disagreement_threshold_scales_with_the_scale() -> None:
    levels = lambda top: [  # noqa: E731
        {"value": v, "label": {"nl": f"N{v}", "en": f"L{v}"}, "descriptor": {"nl": "d", "en": "d"}}
        for v in range(top + 1)
    ]
    assert default_threshold(make_definition(scale={"min": 0, "max": 5, "levels": levels(5)})) == 2
    assert default_threshold(make_definition(scale={"min": 0, "max": 10, "levels": levels(10)})) == 4
    assert default_threshold(make_definition()) == 1  # 0-2 scale

"""The definition schema: what it accepts, and every error with the field path a coordinator can find."""

from __future__ import annotations

from typing import Any

import pytest

from app.challenges.definitions import parse_definition
from tests.factories import BASE_DEFINITION, definition_data


def _errors(data: dict[str, Any]) -> dict[str, str]:
    definition, errors = parse_definition(data)
    assert definition is None
    return {error.path: error.message for error in errors}


def _stage(**changes: Any) -> list[dict[str, Any]]:
    stage = dict(BASE_DEFINITION["stages"][0])
    stage.update(changes)
    return [stage]


def test_definition_valid_base_is_accepted() -> None:
    definition, errors = parse_definition(definition_data())
    assert errors == []
    assert definition is not None and definition.slug == "test-challenge"


def test_definition_weights_not_summing_to_100_is_refused() -> None:
    criteria = definition_data()["criteria"]
    criteria[0]["weight"] = 50
    assert _errors(definition_data(criteria=criteria)) == {"(file)": "criteria weights must sum to 100, not 90"}


def test_definition_missing_english_text_names_the_field() -> None:
    assert _errors(definition_data(title={"nl": "Alleen Nederlands"})) == {"title.en": "Field required"}


def test_definition_slug_of_digits_only_is_refused() -> None:
    assert _errors(definition_data(slug="2027")) == {"slug": "a slug needs at least one letter"}
    assert parse_definition(definition_data(slug="cuas-2027"))[1] == []


def test_definition_unknown_field_is_refused() -> None:
    assert _errors(definition_data(colour="blue")) == {"colour": "Extra inputs are not permitted"}


def test_definition_deadline_before_opening_is_refused() -> None:
    errors = _errors(definition_data(stages=_stage(deadline="2026-10-01T17:00:00")))
    assert errors == {"stages[0]": "deadline must come after opens_at"}


def test_definition_time_with_offset_is_refused() -> None:
    errors = _errors(definition_data(stages=_stage(deadline="2027-02-26T17:00:00+01:00")))
    assert errors == {"stages[0].deadline": "give local Europe/Amsterdam time without an offset"}


def test_definition_question_error_path_skips_type_tag() -> None:
    questions = [{"key": "q", "type": "long_text", "label": {"nl": "V", "en": "Q"}, "max_words": 0}]
    errors = _errors(definition_data(stages=_stage(questions=questions)))
    assert errors == {"stages[0].questions[0].max_words": "Input should be greater than or equal to 1"}


def test_definition_unknown_question_type_is_refused() -> None:
    questions = [{"key": "q", "type": "essay", "label": {"nl": "V", "en": "Q"}}]
    errors = _errors(definition_data(stages=_stage(questions=questions)))
    assert list(errors) == ["stages[0].questions[0]"]
    assert "does not match any of the expected tags" in errors["stages[0].questions[0]"]


def test_definition_duplicate_question_keys_are_refused() -> None:
    question = {"key": "q", "type": "yes_no", "label": {"nl": "V", "en": "Q"}}
    errors = _errors(definition_data(stages=_stage(questions=[question, question])))
    assert errors == {"stages[0]": "question keys must be unique within a stage: q"}


def test_definition_scale_with_gap_is_refused() -> None:
    scale = definition_data()["scale"]
    scale["levels"] = scale["levels"][:2]
    errors = _errors(definition_data(scale=scale))
    assert errors == {"scale": "levels must describe every value from 0 to 2 exactly once"}


def test_definition_trl_window_reversed_is_refused() -> None:
    assert _errors(definition_data(trl={"min": 7, "max": 4})) == {"trl": "trl.min must not exceed trl.max"}


def test_definition_first_stage_by_invitation_is_refused() -> None:
    errors = _errors(definition_data(stages=_stage(invitation_only=True)))
    assert errors == {"(file)": "the first stage cannot be by invitation only"}


def test_definition_overlapping_stages_are_refused() -> None:
    first = _stage()[0]
    second = dict(
        first, key="full", opens_at="2027-02-01T09:00:00", deadline="2027-05-01T17:00:00", invitation_only=True
    )
    errors = _errors(definition_data(stages=[first, second]))
    assert errors == {"(file)": "stage full must open after stage brief closes"}


def test_definition_knockout_minimum_off_scale_is_refused() -> None:
    criteria = definition_data()["criteria"]
    criteria[1]["minimum"] = 9
    assert _errors(definition_data(criteria=criteria)) == {"(file)": "criterion safety: minimum must lie on the scale"}


@pytest.mark.parametrize(
    ("question", "path"),
    [
        ({"type": "number", "min": 5, "max": 1}, "stages[0].questions[0]"),
        (
            {"type": "multiple_choice", "options": [{"key": "a", "label": {"nl": "A", "en": "A"}}]},
            "stages[0].questions[0].options",
        ),
        ({"type": "document", "allowed_types": ["exe"], "max_size_mb": 1}, "stages[0].questions[0].allowed_types[0]"),
    ],
)
def test_definition_bad_question_limits_are_refused(question: dict[str, Any], path: str) -> None:
    question = {"key": "q", "label": {"nl": "V", "en": "Q"}, **question}
    assert path in _errors(definition_data(stages=_stage(questions=[question])))

"""The challenge form and the definition schema: same result both ways, messages at the right fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import i18n
from app.challenges.definitions import discover, read_file
from app.workspace.challenges import forms
from tests.factories import definition_data, make_definition

FILES = discover([Path(__file__).resolve().parents[2] / "challenges"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_form_round_trip_gives_the_same_definition(path: Path) -> None:
    definition = read_file(path).definition
    assert definition is not None
    values = forms.flatten(forms.definition_to_raw(definition))
    parsed, errors = forms.parse_raw(forms.nest(values))
    assert errors == []
    assert parsed == definition


def test_form_with_every_question_type_round_trips() -> None:
    data = definition_data()
    data["stages"][0]["questions"] += [
        {"key": "name", "type": "short_text", "label": {"nl": "Naam", "en": "Name"}, "max_length": 80},
        {
            "key": "mass",
            "type": "number",
            "label": {"nl": "Massa", "en": "Mass"},
            "min": 0,
            "max": 25,
            "unit": {"nl": "kg", "en": "kg"},
            "integer": True,
            "required": False,
        },
        {
            "key": "pick",
            "type": "single_choice",
            "label": {"nl": "Kies", "en": "Pick"},
            "options": [
                {"key": "a", "label": {"nl": "A nl", "en": "A en"}},
                {"key": "b", "label": {"nl": "B", "en": "B"}},
            ],
        },
        {
            "key": "many",
            "type": "multiple_choice",
            "label": {"nl": "Veel", "en": "Many"},
            "min_selected": 1,
            "max_selected": 2,
            "options": [{"key": "x", "label": {"nl": "X", "en": "X"}}, {"key": "y", "label": {"nl": "Y", "en": "Y"}}],
        },
        {"key": "ok", "type": "yes_no", "label": {"nl": "Akkoord", "en": "Agree"}, "section": "legal"},
        {"key": "when", "type": "date", "label": {"nl": "Datum", "en": "Date"}, "min_date": "2027-01-01"},
    ]
    data["eligibility"].update(lead_countries=["NL", "BE"], max_partners=4, sme_only=True)
    definition = make_definition(**data)
    parsed, errors = forms.parse_raw(forms.nest(forms.flatten(forms.definition_to_raw(definition))))
    assert errors == []
    assert parsed == definition


def _errors(values: dict[str, object]) -> dict[str, str]:
    _, errors = forms.parse_raw(forms.nest(values))
    return {error.path: i18n.translate("nl", error.message, **error.params) for error in errors}


def test_form_errors_sit_at_the_field_names() -> None:
    values = forms.flatten(forms.definition_to_raw(make_definition()))
    values["title.en"] = ""
    values["criteria.0.weight"] = "50"
    values["stages.0.questions.0.max_words"] = "abc"
    errors = _errors(values)
    assert errors == {
        "title.en": "Dit veld is verplicht.",
        "stages.0.questions.0.max_words": "Vul een geheel getal in.",
    }
    values["title.en"] = "Title"
    values["stages.0.questions.0.max_words"] = "300"
    # The challenge-wide checks run once every field is valid.
    assert _errors(values) == {"criteria": "De gewichten van de criteria moeten samen 100 zijn, niet 90."}


def test_form_options_errors_point_at_the_options_field() -> None:
    values = forms.flatten(forms.definition_to_raw(make_definition()))
    values["stages.0.questions.0.type"] = "single_choice"
    values["stages.0.questions.0.options"] = "only | Alleen | Only"
    assert _errors(values) == {"stages.0.questions.0.options": "Geef er ten minste 2, één per regel."}


def test_form_add_and_remove_groups_renumber() -> None:
    raw = forms.definition_to_raw(make_definition())
    assert forms.apply_action(raw, "add:stages.0.questions") is True
    assert len(raw["stages"][0]["questions"]) == 3
    assert forms.apply_action(raw, "remove:stages.0.questions.0") is True
    assert [q.get("key") for q in raw["stages"][0]["questions"]] == ["brief", None]
    assert forms.apply_action(raw, "add:stages") is True
    assert len(raw["stages"]) == 2 and len(raw["stages"][1]["questions"]) == 1
    assert forms.apply_action(raw, "remove:effects.0") is True  # the last one stays
    assert len(raw["effects"]) == 1
    assert forms.apply_action(raw, "add:nonsense") is False
    assert forms.apply_action(raw, "remove:stages.9") is False


def test_form_textarea_line_breaks_become_lf() -> None:
    values = forms.flatten(forms.definition_to_raw(make_definition()))
    values["problem_statement.nl"] = "Eerste alinea.\r\n\r\nTweede alinea."
    parsed, errors = forms.parse_raw(forms.nest(values))
    assert errors == []
    assert parsed is not None and parsed.problem_statement.nl == "Eerste alinea.\n\nTweede alinea."

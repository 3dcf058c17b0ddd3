"""The challenge web form <-> the definition schema.

Field names are the schema's own paths (``stages.0.questions.1.label.en``), so a Pydantic error location
is the name of the field it belongs to. Repeated groups (effects, stages, questions, levels, criteria)
are added and removed by submit buttons (``action=add:stages.0.questions``, ``action=remove:effects.1``):
the form is nested, changed and flattened again, so it works without JavaScript.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from app.challenges.enums import DocumentType, QuestionType
from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError
from app.forms import field_errors
from app.i18n import N_

QUESTION_TYPES = [t.value for t in QuestionType]
QUESTION_TYPE_LABELS: dict[str, str] = {
    "short_text": N_("Short text"),
    "long_text": N_("Long text"),
    "number": N_("Number"),
    "single_choice": N_("One choice from a list"),
    "multiple_choice": N_("Several choices from a list"),
    "yes_no": N_("Yes or no"),
    "date": N_("Date"),
    "document": N_("Document upload"),
}
DOCUMENT_TYPES = [t.value for t in DocumentType]
# The fields each question type has besides key, label, hint, required and section.
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "short_text": ("max_length",),
    "long_text": ("max_words",),
    "number": ("min", "max", "integer", "unit"),
    "single_choice": ("options",),
    "multiple_choice": ("options", "min_selected", "max_selected"),
    "yes_no": (),
    "date": ("min_date", "max_date"),
    "document": ("allowed_types", "max_size_mb", "max_pages"),
}
GROUPS = ("effects", "stages", "stages.*.questions", "scale.levels", "criteria")
_LOCALIZED_OPTIONAL = ("hint", "unit")


# --- flat form values <-> a nested structure -------------------------------------------------------


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """``{"stages.0.title.nl": "x"}`` -> ``{"stages": [{"title": {"nl": "x"}}]}`` (numeric parts are lists)."""
    root: dict[str, Any] = {}
    for name, value in values.items():
        if name == "action" or name.startswith("_"):
            continue
        parts = name.split(".")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[parts[-1]] = value
    result: dict[str, Any] = _lists(root)
    return result


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """The reverse of ``nest``; lists of strings (checkbox groups) stay lists."""
    result: dict[str, Any] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            result.update(flatten(value, f"{prefix}.{key}" if prefix else key))
    elif isinstance(node, list) and not all(isinstance(item, str) for item in node):
        for index, value in enumerate(node):
            result.update(flatten(value, f"{prefix}.{index}"))
    else:
        result[prefix] = node
    return result


def _get(node: Any, path: str) -> Any:
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, [])
    return node


def apply_action(raw: dict[str, Any], action: str) -> bool:
    """Add or remove a repeated group in place; False when the action is not one of those."""
    verb, _, path = action.partition(":")
    try:
        if verb == "add" and _group_name(path) in GROUPS:
            items = _get(raw, path)
            items.append(_blank_group(_group_name(path)))
            return True
        if verb == "remove":
            parent, _, index = path.rpartition(".")
            if _group_name(parent) in GROUPS and index.isdigit():
                items = _get(raw, parent)
                if len(items) > 1:
                    items.pop(int(index))
                return True
    except (IndexError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return False


def _group_name(path: str) -> str:
    return re.sub(r"\.\d+\.", ".*.", path)


def _blank_group(group: str) -> dict[str, Any]:
    if group == "stages":
        return {"questions": [{"type": "long_text", "required": "1"}]}
    if group == "stages.*.questions":
        return {"type": "long_text", "required": "1"}
    return {}


def blank_form() -> dict[str, Any]:
    """The nested structure of a new, empty challenge: one of every repeated group."""
    return {
        "effects": [{}],
        "stages": [_blank_group("stages")],
        "scale": {"min": "0", "max": "4", "levels": [{"value": str(v)} for v in range(5)]},
        "criteria": [{}],
        "eligibility": {"consortium_allowed": "1"},
        "trl": {"min": "1", "max": "9"},
    }


# --- nested form -> definition data ----------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _clean(node: Any) -> Any:
    """Drop empty strings (so optional fields become their default and required ones 'missing')."""
    if isinstance(node, dict):
        cleaned = {key: _clean(value) for key, value in node.items()}
        return {key: value for key, value in cleaned.items() if value not in ("", None)}
    if isinstance(node, list):
        return [_clean(item) for item in node]
    # Browsers send a textarea's line breaks as CRLF; definitions use LF.
    return node.replace("\r\n", "\n").strip() if isinstance(node, str) else node


def _flag(node: dict[str, Any], name: str) -> None:
    node[name] = _text(node.get(name)) not in ("", "0", "false", "no")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [v for v in value if v]
    return [value] if value else []


def _options(text: Any) -> list[dict[str, Any]]:
    options = []
    for line in _text(text).splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        parts += [""] * (3 - len(parts))
        options.append({"key": parts[0], "label": {"nl": parts[1], "en": parts[2]}})
    return options


def _question(raw: dict[str, Any]) -> dict[str, Any]:
    kind = _text(raw.get("type"))
    data: dict[str, Any] = {key: raw[key] for key in ("key", "label", "hint", "section", "type") if key in raw}
    _flag_into(data, raw, "required")
    for name in TYPE_FIELDS.get(kind, ()):
        if name == "options":
            data["options"] = _options(raw.get("options"))
        elif name == "allowed_types":
            data["allowed_types"] = _as_list(raw.get("allowed_types"))
        elif name == "integer":
            _flag_into(data, raw, "integer")
        elif name in raw:
            data[name] = raw[name]
    return data


def _flag_into(target: dict[str, Any], source: dict[str, Any], name: str) -> None:
    target[name] = source.get(name)
    _flag(target, name)


def _drop_empty_localized(node: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        value = node.get(name)
        if isinstance(value, dict) and not _text(value.get("nl")) and not _text(value.get("en")):
            node.pop(name)


def to_definition_data(raw: dict[str, Any]) -> dict[str, Any]:
    """The nested form as the schema's input (booleans from checkboxes, lists from text, empties dropped)."""
    data: dict[str, Any] = {
        key: raw[key]
        for key in ("slug", "title", "summary", "problem_statement", "trl", "scale", "knockout_total_minimum")
        if key in raw
    }
    data["effects"] = list(raw.get("effects") or [])
    tags = raw.get("tags") or {}
    data["tags"] = {"nld": _as_list(tags.get("nld")), "basis": _as_list(tags.get("basis"))}
    eligibility = dict(raw.get("eligibility") or {})
    for name in ("sme_only", "consortium_allowed"):
        _flag(eligibility, name)
    countries = re.split(r"[\s,;]+", _text(eligibility.get("lead_countries")).upper())
    eligibility["lead_countries"] = [c for c in countries if c]
    data["eligibility"] = eligibility
    procurement = dict(raw.get("procurement") or {})
    for name in ("military_equipment", "sensitive"):
        _flag(procurement, name)
    data["procurement"] = procurement
    data["blind_scoring"] = _text(raw.get("blind_scoring")) == "1"
    stages = []
    for stage_raw in raw.get("stages") or []:
        stage = {k: v for k, v in stage_raw.items() if k != "questions"}
        _flag(stage, "invitation_only")
        stage["questions"] = [_question(q) for q in stage_raw.get("questions") or []]
        for question in stage["questions"]:
            _drop_empty_localized(question, _LOCALIZED_OPTIONAL)
        stages.append(stage)
    data["stages"] = stages
    data["criteria"] = list(raw.get("criteria") or [])
    data = _clean(data)
    data.setdefault("scale", {}).setdefault("levels", [])
    return dict(data)


# --- definition -> flat form values -----------------------------------------------------------------


def _local(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    return str(value)


def _strings(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _strings(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_strings(item) for item in node]
    if isinstance(node, bool):
        return "1" if node else ""
    if isinstance(node, datetime):
        return _local(node)
    return node if isinstance(node, str) else str(node)


def definition_to_raw(definition: ChallengeDefinition) -> dict[str, Any]:
    """A definition as the nested form (the reverse of ``to_definition_data``)."""
    data = definition.model_dump(mode="python", exclude_none=True)
    data["eligibility"]["lead_countries"] = ", ".join(data["eligibility"].get("lead_countries", []))
    for stage in data["stages"]:
        for question in stage["questions"]:
            if "options" in question:
                question["options"] = "\n".join(
                    f"{o['key']} | {o['label']['nl']} | {o['label']['en']}" for o in question["options"]
                )
            if "allowed_types" in question:
                question["allowed_types"] = [str(t) for t in question["allowed_types"]]
    raw: dict[str, Any] = _strings(data)
    for kind in ("nld", "basis"):
        raw["tags"][kind] = list(raw["tags"].get(kind, []))
    return raw


# --- validation with messages at the fields --------------------------------------------------------

_TYPE_TAGS = frozenset(QUESTION_TYPES)

# The schema's own messages (English) and the msgids that say the same in the user's language.
_SCHEMA_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^tags must not repeat$"), N_("Tags must not repeat.")),
    (
        re.compile(r"^a slug needs at least one letter$"),
        N_("The web address needs at least one letter; digits alone are not allowed."),
    ),
    (re.compile(r"^trl\.min must not exceed trl\.max$"), N_("The lowest TRL must not exceed the highest.")),
    (re.compile(r"^min must not exceed max$"), N_("The minimum must not exceed the maximum.")),
    (re.compile(r"^option keys must be unique$"), N_("Option keys must be unique.")),
    (
        re.compile(r"^min_selected and max_selected must fit the number of options$"),
        N_("The minimum and maximum number of choices must fit the number of options."),
    ),
    (re.compile(r"^min_date must not be after max_date$"), N_("The earliest date must not be after the latest.")),
    (
        re.compile(r"^give local Europe/Amsterdam time without an offset$"),
        N_("Give Dutch local time without an offset."),
    ),
    (re.compile(r"^deadline must come after opens_at$"), N_("The deadline must come after the opening time.")),
    (
        re.compile(r"^question_deadline must lie between opens_at and deadline$"),
        N_("The question deadline must lie between the opening time and the deadline."),
    ),
    (
        re.compile(r"^question keys must be unique within a stage: (?P<keys>.*)$"),
        N_("Question keys must be unique within a stage: %(keys)s."),
    ),
    (re.compile(r"^scale\.min must be below scale\.max$"), N_("The lowest score must be below the highest.")),
    (
        re.compile(r"^levels must describe every value from (?P<min>-?\d+) to (?P<max>-?\d+) exactly once$"),
        N_("The levels must describe every score from %(min)s to %(max)s exactly once."),
    ),
    (
        re.compile(r"^criteria weights must sum to 100, not (?P<total>-?\d+)$"),
        N_("The criteria weights must add up to 100, not %(total)s."),
    ),
    (re.compile(r"^(?P<name>criterion|stage|effect) keys must be unique$"), N_("Keys must be unique.")),
    (
        re.compile(r"^criterion (?P<key>\S+): minimum must lie on the scale$"),
        N_("The knock-out minimum of criterion %(key)s must lie on the scale."),
    ),
    (re.compile(r"^knockout_total_minimum must lie on the scale$"), N_("The minimum total must lie on the scale.")),
    (
        re.compile(r"^stage (?P<key>\S+) must open after stage (?P<previous>\S+) closes$"),
        N_("Stage %(key)s must open after stage %(previous)s closes."),
    ),
    (
        re.compile(r"^the first stage cannot be by invitation only$"),
        N_("The first stage cannot be by invitation only."),
    ),
]
# Where a challenge-wide message belongs on the form.
_MODEL_FIELDS: list[tuple[str, str]] = [
    ("criteria weights", "criteria"),
    ("criterion keys", "criteria"),
    ("criterion ", "criteria"),
    ("stage keys", "stages"),
    ("effect keys", "effects"),
    ("knockout_total_minimum", "knockout_total_minimum"),
    ("first stage", "stages.0.invitation_only"),
    ("must open after stage", "stages"),
]


def _field_name(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if item in _TYPE_TAGS and parts and parts[-1].isdigit():
            continue
        parts.append(str(item))
    # Options and allowed types are one field each on the form.
    for field in ("options", "allowed_types", "lead_countries", "nld", "basis"):
        if field in parts:
            parts = parts[: parts.index(field) + 1]
            break
    return ".".join(parts)


def _translated(message: str) -> tuple[str, dict[str, object]]:
    for pattern, msgid in _SCHEMA_MESSAGES:
        match = pattern.match(message)
        if match:
            return msgid, dict(match.groupdict())
    return message, {}


def definition_errors(error: ValidationError) -> list[FieldError]:
    """The schema's errors with form field names and translatable messages."""
    result: list[FieldError] = []
    for item, base in zip(error.errors(), field_errors(error), strict=True):
        name = _field_name(tuple(item["loc"]))
        if item["type"] == "value_error":
            for message in base.message.split("; "):
                msgid, params = _translated(message)
                field = name or next((f for text, f in _MODEL_FIELDS if text in message), "__all__")
                result.append(FieldError(field, msgid, params))
        elif item["type"] == "too_short":
            minimum = int((item.get("ctx") or {}).get("min_length", 1))
            message = N_("Add at least one.") if minimum == 1 else N_("Give at least %(min_length)s, one per line.")
            result.append(FieldError(name or "__all__", message, {"min_length": minimum}))
        else:
            result.append(FieldError(name or "__all__", base.message, base.params))
    return result


def parse_raw(raw: dict[str, Any]) -> tuple[ChallengeDefinition | None, list[FieldError]]:
    try:
        return ChallengeDefinition.model_validate(to_definition_data(raw)), []
    except ValidationError as error:
        return None, definition_errors(error)

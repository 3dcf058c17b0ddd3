"""Answers to a stage's questions: checked against the question definitions, kept exactly as typed.

A draft keeps whatever the company typed, even when it does not fit yet (nothing is lost); the same
checks run on every save, to show what needs attention, and block only the submission.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app.canonical import canonical_json, sha256_hex
from app.challenges.schemas import (
    DateQuestion,
    DocumentQuestion,
    LongTextQuestion,
    MultipleChoiceQuestion,
    NumberQuestion,
    Question,
    ShortTextQuestion,
    SingleChoiceQuestion,
    YesNoQuestion,
)
from app.errors import FieldError
from app.i18n import N_

REQUIRED = N_("This field is required.")
TRL_FIELD = "trl"
# The hidden field that carries the answers' fingerprint as the form showed them (optimistic concurrency).
SEEN_FIELD = "answers_seen"


def field_name(key: str) -> str:
    """The form field of a question (prefixed, so question keys never clash with the form's own fields)."""
    return f"q_{key}"


def count_words(text: str) -> int:
    return len(text.split())


def form_questions(questions: list[Question]) -> list[Question]:
    """The questions answered on the form (documents have their own page)."""
    return [q for q in questions if not isinstance(q, DocumentQuestion)]


def document_questions(questions: list[Question]) -> list[DocumentQuestion]:
    return [q for q in questions if isinstance(q, DocumentQuestion)]


def raw_answers(questions: list[Question], values: dict[str, Any]) -> dict[str, Any]:
    """The typed values of a posted form, by question key: strings, lists for multiple choice."""
    answers: dict[str, Any] = {}
    for question in form_questions(questions):
        value = values.get(field_name(question.key), [] if isinstance(question, MultipleChoiceQuestion) else "")
        if isinstance(question, MultipleChoiceQuestion):
            answers[question.key] = [value] if isinstance(value, str) and value else list(value or [])
        else:
            answers[question.key] = value.strip() if isinstance(value, str) else ""
    return answers


def _blank(value: Any) -> bool:
    return value in ("", None, [])


def parse_number(text: str) -> Decimal | None:
    """A number as people type it: ``1.5``, ``1,5``, ``1 000``."""
    cleaned = re.sub(r"[\s\u00a0]", "", text).replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _format_bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _number_errors(question: NumberQuestion, text: str) -> list[tuple[str, dict[str, object]]]:
    number = parse_number(text)
    if number is None:
        return [(N_("Enter a number."), {})]
    if question.integer and number != number.to_integral_value():
        return [(N_("Enter a whole number."), {})]
    if question.min is not None and number < Decimal(str(question.min)):
        return [(N_("Enter %(ge)s or more."), {"ge": _format_bound(question.min)})]
    if question.max is not None and number > Decimal(str(question.max)):
        return [(N_("Enter %(le)s or less."), {"le": _format_bound(question.max)})]
    return []


def _date_errors(question: DateQuestion, text: str) -> list[tuple[str, dict[str, object]]]:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return [(N_("Enter a date as day, month and year."), {})]
    if question.min_date is not None and value < question.min_date:
        return [(N_("Enter a date on or after %(date)s."), {"date": question.min_date.isoformat()})]
    if question.max_date is not None and value > question.max_date:
        return [(N_("Enter a date on or before %(date)s."), {"date": question.max_date.isoformat()})]
    return []


def _value_errors(question: Question, value: Any) -> list[tuple[str, dict[str, object]]]:
    """What is wrong with a non-blank answer, as (msgid, params)."""
    if isinstance(question, ShortTextQuestion):
        if len(value) > question.max_length:
            return [(N_("Enter at most %(max_length)s characters."), {"max_length": question.max_length})]
    elif isinstance(question, LongTextQuestion):
        words = count_words(value)
        if words > question.max_words:
            return [
                (N_("Use at most %(max)s words; this text has %(count)s."), {"max": question.max_words, "count": words})
            ]
    elif isinstance(question, NumberQuestion):
        return _number_errors(question, value)
    elif isinstance(question, SingleChoiceQuestion):
        if value not in {option.key for option in question.options}:
            return [(N_("Choose one of the options."), {})]
    elif isinstance(question, MultipleChoiceQuestion):
        return _choice_count_errors(question, value)
    elif isinstance(question, YesNoQuestion):
        if value not in ("yes", "no"):
            return [(N_("Choose yes or no."), {})]
    elif isinstance(question, DateQuestion):
        return _date_errors(question, value)
    return []


def _choice_count_errors(question: MultipleChoiceQuestion, value: list[str]) -> list[tuple[str, dict[str, object]]]:
    known = {option.key for option in question.options}
    if any(item not in known for item in value) or len(set(value)) != len(value):
        return [(N_("Choose one of the options."), {})]
    if len(value) < question.min_selected:
        return [(N_("Choose at least %(min)s options."), {"min": question.min_selected})]
    if question.max_selected is not None and len(value) > question.max_selected:
        return [(N_("Choose at most %(max)s options."), {"max": question.max_selected})]
    return []


def check_answers(questions: list[Question], answers: dict[str, Any], *, complete: bool) -> list[FieldError]:
    """Problems with the answers; with ``complete`` also every required answer that is missing."""
    errors: list[FieldError] = []
    for question in form_questions(questions):
        value = answers.get(question.key)
        if _blank(value):
            if complete and question.required:
                errors.append(FieldError(field_name(question.key), REQUIRED))
            continue
        for message, params in _value_errors(question, value):
            errors.append(FieldError(field_name(question.key), message, params))
    return errors


def check_trl(value: Any, *, complete: bool) -> list[FieldError]:
    if _blank(value):
        return [FieldError(TRL_FIELD, REQUIRED)] if complete else []
    if not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())) or not 1 <= int(value) <= 9:
        return [FieldError(TRL_FIELD, N_("Choose a level from 1 to 9."))]
    return []


def typed_answers(questions: list[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """Checked answers in their own types, for a submitted version (numbers as text keep their precision)."""
    typed: dict[str, Any] = {}
    for question in form_questions(questions):
        value = answers.get(question.key)
        if _blank(value):
            typed[question.key] = None
        elif isinstance(question, NumberQuestion):
            number = parse_number(str(value))
            typed[question.key] = str(number) if number is not None else None
        elif isinstance(question, YesNoQuestion):
            typed[question.key] = value == "yes"
        else:
            typed[question.key] = value
    return typed


def fingerprint(answers: dict[str, Any], trl: Any) -> str:
    """The stored answers and claimed TRL as one short hash: a form carries the one it was filled from, so a save
    over answers that another member changed since is noticed instead of overwriting theirs."""
    return sha256_hex(canonical_json({"answers": answers, "trl": trl if trl is not None else ""}))[:32]

"""HTML form handling shared by every domain: parse into a Pydantic model, or collect messages per field.

A view calls ``parse_form``; on errors it re-renders the page with ``errors`` (field name -> message in
the user's language) and the values the user typed, so nothing is lost.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ValidationError
from starlette.datastructures import FormData

from app import i18n
from app.errors import DomainError, FieldError, ValidationFailed
from app.i18n import N_

Model = TypeVar("Model", bound=BaseModel)

_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_long": N_("Enter at most %(max_length)s characters."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "bool_parsing": N_("Choose yes or no."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "date_from_datetime_parsing": N_("Enter a date as day, month and year."),
    "date_parsing": N_("Enter a date as day, month and year."),
    "greater_than_equal": N_("Enter %(ge)s or more."),
    "less_than_equal": N_("Enter %(le)s or less."),
}


def field_errors(error: ValidationError) -> list[FieldError]:
    """Pydantic's errors as FieldErrors with the portal's own msgids (translatable, plain language)."""
    result: list[FieldError] = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "__all__"
        kind = item["type"]
        context = dict(item.get("ctx") or {})
        if kind == "value_error":
            message = str(context.get("error", item["msg"])).removeprefix("Value error, ")
            context = {}
        elif kind == "string_too_short":
            message = (
                N_("This field is required.")
                if context.get("min_length") == 1
                else N_("Enter at least %(min_length)s characters.")
            )
        else:
            message = _MESSAGES.get(kind, N_("This value is not valid."))
        result.append(FieldError(name, message, {k: v for k, v in context.items() if isinstance(v, str | int)}))
    return result


def form_values(form: FormData) -> dict[str, Any]:
    """Single values as strings; fields sent several times (checkbox groups) as lists."""
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    values.pop("csrf_token", None)
    return values


def parse_form(model: type[Model], values: dict[str, Any]) -> tuple[Model | None, list[FieldError]]:
    try:
        return model.model_validate(values), []
    except ValidationError as error:
        return None, field_errors(error)


def translate_errors(language: str, errors: list[FieldError]) -> dict[str, str]:
    """Field name -> message in the user's language; the first error of a field wins."""
    result: dict[str, str] = {}
    for error in errors:
        result.setdefault(error.path, i18n.translate(language, error.message, **error.params))
    return result


def errors_of(failed: DomainError) -> list[FieldError]:
    """A refused command's messages for its form: the field errors, or the domain error at the top."""
    return failed.errors if isinstance(failed, ValidationFailed) else [FieldError("__all__", failed.message)]


MSG_ONE_LINE = N_("Use one line, without line breaks or control characters.")


def single_line(value: str | None) -> str | None:
    """A name or similar field: refused when it holds a line break or another control character (which
    could otherwise reach an e-mail header or a log line)."""
    if value is not None and not value.isprintable():
        raise ValueError(MSG_ONE_LINE)
    return value


def chosen_id(value: Any) -> Any:
    """A form's choice of a row by its id: a whole number of ten digits or more (the database's INTEGER stops at
    2,147,483,647; no row is near) becomes -1, which names nothing, so the service refuses it with its list's
    message rather than the database refusing the statement (a 500). Anything else is left to be parsed."""
    if isinstance(value, str):
        digits = value.strip().removeprefix("-").removeprefix("+").lstrip("0")
        if digits.isascii() and digits.isdigit() and len(digits) >= 10:
            return -1
    return value


ChosenId = Annotated[int, BeforeValidator(chosen_id)]
"""An id chosen in a form (a select or radio list), as ``chosen_id`` reads it."""


def ticked_ids(form: FormData, name: str) -> list[int]:
    """The ids of a group of checkboxes. A value that is no id becomes -1, which names nothing: the service refuses
    it with its list's message (never a 500 for a number too large for the database)."""
    return [
        int(v) if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) < 10 else -1 for v in form.getlist(name)
    ]

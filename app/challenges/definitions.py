"""Reading and validating definition files: TOML in, ``ChallengeDefinition`` or a list of errors out."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError


@dataclass
class ParsedFile:
    path: Path
    definition: ChallengeDefinition | None
    errors: list[FieldError]


def format_location(loc: tuple[int | str, ...]) -> str:
    """``('stages', 0, 'questions', 2, 'document', 'max_pages')`` -> ``stages[0].questions[2].max_pages``."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif (
            item
            in {"short_text", "long_text", "number", "single_choice", "multiple_choice", "yes_no", "date", "document"}
            and parts
            and parts[-1].endswith("]")
        ):
            continue  # the discriminator tag pydantic adds to the path says nothing to a coordinator
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(file)"


def errors_from_validation(error: ValidationError) -> list[FieldError]:
    return [FieldError(format_location(tuple(e["loc"])), _clean(e["msg"])) for e in error.errors()]


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def parse_definition(data: dict[str, Any]) -> tuple[ChallengeDefinition | None, list[FieldError]]:
    try:
        return ChallengeDefinition.model_validate(data), []
    except ValidationError as error:
        return None, errors_from_validation(error)


def read_file(path: Path) -> ParsedFile:
    """Parse one TOML file; every problem comes back with its field path, nothing is raised."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return ParsedFile(path, None, [FieldError("(file)", f"cannot read the file: {error.strerror}")])
    except UnicodeDecodeError:
        return ParsedFile(path, None, [FieldError("(file)", "the file is not UTF-8 text")])
    except tomllib.TOMLDecodeError as error:
        return ParsedFile(path, None, [FieldError("(file)", f"not valid TOML: {error}")])
    definition, errors = parse_definition(data)
    return ParsedFile(path, definition, errors)


def discover(paths: list[Path]) -> list[Path]:
    """Expand folders to the ``*.toml`` files in them (sorted); keep files as given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.glob("*.toml") if p.is_file()))
        else:
            found.append(path)
    return found


def to_toml(definition: ChallengeDefinition) -> str:
    """Write a definition back as a file that ``portal challenges validate`` accepts."""
    data = definition.model_dump(mode="python", exclude_none=True)
    return tomli_w.dumps(data)


def shift_to_future(definition: ChallengeDefinition, *, now_local: datetime, lead: timedelta) -> ChallengeDefinition:
    """Demo mode: move every time of the challenge by whole weeks so its first deadline lies ``lead`` ahead.

    Keeps the gaps between stages and the weekday and hour of every time; returns the definition
    unchanged when its first deadline is already far enough away.
    """
    first_deadline = definition.stages[0].deadline
    if first_deadline >= now_local + lead:
        return definition
    weeks = -(-((now_local + lead) - first_deadline) // timedelta(weeks=1))
    delta = timedelta(weeks=weeks)
    data = definition.model_dump(mode="python")
    for stage in data["stages"]:
        for name in ("opens_at", "deadline", "question_deadline"):
            if stage.get(name) is not None:
                stage[name] = stage[name] + delta
    return ChallengeDefinition.model_validate(data)

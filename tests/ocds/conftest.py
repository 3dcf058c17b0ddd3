"""The official OCDS 1.1.5 schemas, from ``../shared/ocds-1.1.5`` beside the repository (CI checks the shared folder
out there), or from ``PORTAL_OCDS_SCHEMA_DIR``. Where they are missing, the validating tests are skipped with a loud
warning at the end of the run; with ``PORTAL_REQUIRE_OCDS_SCHEMA=1`` (as in CI) they fail instead."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ROOT = Path(__file__).resolve().parents[2]
MISSING_SCHEMA: list[str] = []


def schema_dir() -> Path:
    configured = os.environ.get("PORTAL_OCDS_SCHEMA_DIR")
    return Path(configured) if configured else ROOT.parent / "shared" / "ocds-1.1.5"


def _format_checker() -> FormatChecker:
    """Draft 4's ``date-time`` and ``uri`` checked here, without the optional packages jsonschema would need."""
    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if "T" not in value or not (value.endswith("Z") or value[-6] in "+-"):
            raise ValueError("not RFC 3339 with a time zone")
        datetime.fromisoformat(value)
        return True

    @checker.checks("uri", raises=ValueError)
    def uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        if not parts.scheme or not (parts.netloc or parts.path):
            raise ValueError("not an absolute URI")
        return True

    return checker


@pytest.fixture(scope="session")
def validate_package() -> Callable[[dict[str, Any]], None]:
    """Validates a release package against the release-package schema, the release schema resolved locally."""
    folder = schema_dir()
    package_file, release_file = folder / "release-package-schema.json", folder / "release-schema.json"
    if not (package_file.is_file() and release_file.is_file()):
        message = f"The OCDS 1.1.5 schemas are not in {folder}: the OCDS validation tests did NOT run."
        if os.environ.get("PORTAL_REQUIRE_OCDS_SCHEMA") == "1":
            pytest.fail(message)
        MISSING_SCHEMA.append(message)
        pytest.skip(message)
    package_schema = json.loads(package_file.read_text())
    release_schema = json.loads(release_file.read_text())
    # The package refers to the release schema by its published URL: served from the local copy, never fetched.
    registry = Registry().with_resource(release_schema["id"], Resource.from_contents(release_schema, DRAFT4))
    Draft4Validator.check_schema(package_schema)
    validator = Draft4Validator(package_schema, registry=registry, format_checker=_format_checker())
    release_validator = Draft4Validator(release_schema, format_checker=_format_checker())

    def validate(package: dict[str, Any]) -> None:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(package)]
        for release in package.get("releases", []):
            errors += [
                f"release {release.get('id')} {list(e.absolute_path)}: {e.message}"
                for e in release_validator.iter_errors(release)
            ]
        assert errors == [], "OCDS schema violations:\n" + "\n".join(errors)

    return validate


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if MISSING_SCHEMA:
        terminalreporter.section("OCDS VALIDATION DID NOT RUN", sep="!", red=True)
        terminalreporter.line(MISSING_SCHEMA[0] + " Put the shared folder beside the repository.", red=True)

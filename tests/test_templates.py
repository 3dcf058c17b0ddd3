"""Templates get only what they use: no settings object, no secret, in any page's context."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from jinja2 import nodes
from sqlalchemy.orm import Session

from app.settings import Settings
from app.web import build_templates
from tests.factories import create_challenge


def test_page_context_carries_no_settings_and_no_secret(
    client: TestClient, session: Session, settings: Settings
) -> None:
    challenge = create_challenge(session)
    for path in ("/", f"/challenges/{challenge.slug}", "/login", "/register"):
        response = client.get(path)
        assert response.status_code == 200, path
        context = response.context  # type: ignore[attr-defined]
        assert "settings" not in context, path
        assert not any(isinstance(value, Settings) for value in context.values()), path
        assert settings.secret_key not in repr(context), path


def test_no_template_assigns_to_the_translation_functions() -> None:
    """``{% set _ = ... %}`` (or a loop variable ``_``) replaces the translation function for the rest of its
    scope: every later ``_("...")`` there fails with "'NoneType' object is not callable", a 500."""
    environment = build_templates().env
    root = Path(__file__).resolve().parents[1] / "templates"
    reserved = {"_", "gettext", "ngettext"}
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        source = path.read_text(encoding="utf-8")
        tree = environment.parse(source)
        stored = [
            name for name in tree.find_all(nodes.Name) if name.ctx in {"store", "param"} and name.name in reserved
        ]
        found += [f"{path.relative_to(root)}:{name.lineno}" for name in stored]
        found += [f"{path.relative_to(root)}: set _ =" for _match in re.finditer(r"set\s+_\s*=", source)]
    assert found == []

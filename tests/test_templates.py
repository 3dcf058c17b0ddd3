"""Templates get only what they use: no settings object, no secret, in any page's context."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from jinja2 import Environment, nodes
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


def test_template_globals_carry_no_settings_and_no_secret(client: TestClient, settings: Settings) -> None:
    """What every template sees besides its page's context: helpers, the machines and enums, never the settings."""
    env = client.app.state.templates.env  # type: ignore[attr-defined]
    assert "settings" not in env.globals
    assert not any(isinstance(value, Settings) for value in env.globals.values())
    assert settings.secret_key not in repr(env.globals)


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


def _literal_status_comparisons(environment: Environment, name: str, source: str) -> list[str]:
    """``status == "..."``, ``status != "..."``, ``status in ("...", ...)``, ``phase.value == "..."`` and the like,
    by line: a status or a public phase is compared with its enum's members."""
    found = []
    for compare in environment.parse(source).find_all(nodes.Compare):
        subject = compare.expr
        if isinstance(subject, nodes.Getattr) and subject.attr == "value":
            subject = subject.node
        named = subject.attr if isinstance(subject, nodes.Getattr) else getattr(subject, "name", "")
        if not str(named).endswith(("status", "phase")):
            continue
        for operand in compare.ops:
            if operand.op not in {"eq", "ne", "in", "notin"}:
                continue
            values = operand.expr.items if isinstance(operand.expr, nodes.Tuple | nodes.List) else [operand.expr]
            if any(isinstance(value, nodes.Const) and isinstance(value.value, str) for value in values):
                found.append(f"{name}:{compare.lineno}")
    return found


def test_no_template_compares_a_literal_status() -> None:
    """Statuses are compared with the enums' members (``ProposalStatus.SUBMITTED``), never with strings."""
    environment = build_templates().env
    root = Path(__file__).resolve().parents[1] / "templates"
    found = []
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        found += _literal_status_comparisons(environment, name, path.read_text(encoding="utf-8"))
    assert found == []


def test_the_literal_status_check_finds_each_form() -> None:
    environment = build_templates().env
    source = (
        '{% if proposal.status == "submitted" %}{% endif %}\n{% if status != "draft" %}{% endif %}\n'
        '{% if entry.status in ("received", "answered") %}{% endif %}\n{% if proposal.status == ProposalStatus.DRAFT %}{% endif %}\n'
        '{% if item.phase.value == "open" %}{% endif %}\n{% if phase != "closed" %}{% endif %}\n'
        '{% if challenge.status.value == "draft" %}{% endif %}\n{% if item.phase == Phase.OPEN %}{% endif %}'
    )
    assert _literal_status_comparisons(environment, "t.html", source) == [
        "t.html:1",
        "t.html:2",
        "t.html:3",
        "t.html:5",
        "t.html:6",
        "t.html:7",
    ]


def test_input_attributes_come_out_as_attributes_not_escaped_text(client: TestClient) -> None:
    """The input macro writes inputmode, maxlength, accept, step, min, max and readonly itself: none of them may
    reach the page as escaped text (``inputmode=&#34;numeric&#34;`` is no attribute at all)."""
    env = client.app.state.templates.env  # type: ignore[attr-defined]
    macro = env.from_string(
        '{% from "macros/forms.html" import input %}'
        "{{ input('share', 'Share', inputmode='numeric', maxlength=20, accept='.toml,text/plain', step='0.5',"
        " min=0, max=100, readonly=True) }}"
    )
    html = macro.render()
    assert "&#34;" not in html and "&quot;" not in html
    for attribute in ('inputmode="numeric"', 'maxlength="20"', 'accept=".toml,text/plain"', 'step="0.5"'):
        assert attribute in html, attribute
    assert 'min="0"' in html and 'max="100"' in html and " readonly" in html
    assert (
        " readonly" not in env.from_string('{% from "macros/forms.html" import input %}{{ input("a", "A") }}').render()
    )


def test_production_templates_are_not_checked_on_disk_at_every_use() -> None:
    assert build_templates(production=True).env.auto_reload is False
    assert build_templates().env.auto_reload is True  # development: an edited template shows at the next page

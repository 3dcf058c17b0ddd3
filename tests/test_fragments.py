"""A blank form's fields rendered once per content and language (``app.fragments``): the pages are the same bytes
as rendered in full, in both languages; a draft or a refused form is rendered in full with what was filled in;
a part never holds anything of the request; the parts kept are bounded."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.fragments import BlankParts
from app.web import build_templates
from tests.evaluations.helpers import post
from tests.evaluations.test_queue_completion import _declared as declared_assignments
from tests.factories import csrf, log_in

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")


class Unkept:
    """No part kept: every page renders its fields in full."""

    def render(self, *_args: Any) -> Markup:
        return Markup("")


def _declared(client: TestClient, session: Session, clock: FrozenClock) -> int:
    """An evaluator logged in, with a declared assignment after the deadline and nothing filled in."""
    s, (assignment,) = declared_assignments(session, clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    return assignment.id


@pytest.mark.parametrize("language", ["nl", "en"])
def test_blank_forms_are_the_same_pages_as_rendered_in_full(
    client: TestClient, session: Session, clock: FrozenClock, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment_id = _declared(client, session, clock)
    client.cookies.set("portal_lang", language)
    base = f"/evaluate/assignments/{assignment_id}"
    kept = [client.get(base), client.get(f"{base}/security")]
    again = [client.get(base), client.get(f"{base}/security")]  # from the parts kept by the first
    assert len(client.app.state.blank_parts) == 2  # type: ignore[attr-defined]
    monkeypatch.setattr(client.app.state, "blank_parts", Unkept())  # type: ignore[attr-defined]
    full = [client.get(base), client.get(f"{base}/security")]
    for page in kept + again + full:
        assert page.status_code == 200
    assert [page.text for page in kept] == [page.text for page in full] == [page.text for page in again]
    scores, security = kept
    assert scores.text.count('type="radio"') >= 6 and "justification_effect" in scores.text
    assert security.text.count('type="radio"') == 16 and "factor_justification_armed_forces" in security.text
    assert csrf(client) in scores.text and csrf(client) in security.text  # the token is the page's, outside the part


def test_a_draft_and_a_refused_form_show_what_was_filled_in(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    assignment_id = _declared(client, session, clock)
    base = f"/evaluate/assignments/{assignment_id}"
    assert client.get(base).status_code == 200  # the blank part kept first
    draft = {"action": "save", "score_effect": "2", "justification_effect": "Eigen <tekst>.", "assessed_trl": "4"}
    assert post(client, f"{base}/scores", draft).status_code == 303
    page = client.get(base)
    assert 'id="score_effect-2" name="score_effect" value="2" checked' in page.text
    assert "Eigen &lt;tekst&gt;." in page.text
    refused = {"action": "submit"} | {f"rating_{factor}": "low" for factor in FACTORS}
    answer = post(client, f"{base}/security", refused)  # no justifications: refused, the ratings kept
    assert answer.status_code == 422
    assert answer.text.count(" checked>") == 4 and 'aria-invalid="true"' in answer.text
    blank = client.get(f"{base}/security")
    assert " checked" not in blank.text  # nothing was stored: blank again


def test_a_part_is_rendered_once_per_content_and_language_and_never_sees_the_request() -> None:
    env = build_templates(production=True).env
    env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "part.html": "{{ _('Error') }}: {{ word }} {{ values|length }}{{ errors|length }}",
                    "visitor.html": "[{{ request }}{{ auth }}{{ csrf_token }}]",
                    "link.html": "{{ url_for('evaluate_queue') }}",
                }
            ),
            env.loader,
        ]
    )
    parts = BlankParts(env, limit=2)
    rendered: list[str] = []
    original = env.get_template

    def counted(name: Any, *args: Any, **kwargs: Any) -> Any:
        rendered.append(name)
        return original(name, *args, **kwargs)

    env.get_template = counted  # type: ignore[method-assign]
    first = parts.render("part.html", "nl", {"word": "één"})
    assert first == "Fout: één 00"  # translated, blank values and errors
    assert parts.render("part.html", "nl", {"word": "één"}) is first and rendered == ["part.html"]
    assert parts.render("part.html", "en", {"word": "één"}) == "Error: één 00"
    assert parts.render("part.html", "en", {"word": "<b>"}) == "Error: &lt;b&gt; 00"  # another content, escaped
    assert len(parts) == 2 and rendered == ["part.html"] * 3  # the oldest dropped at the limit
    assert parts.render("visitor.html", "nl", {}) == "[]"  # nothing of a request, a session or a token
    with pytest.raises(KeyError):  # a link needs the request: refused loudly, never made from another's
        parts.render("link.html", "nl", {})

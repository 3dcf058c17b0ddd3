"""The shared layout's fixed parts, rendered once and kept.

Every page's header, menu and footer (about 30 links and 30 translated texts) depend on nothing but the
language and which menus the visitor has; rendering them again on every page was a fifth of an evaluator's
page. ``layout_part(name)`` in a template renders ``templates/layout/{name}.html`` once per language and menus
and keeps the result; what does vary per request (the page's title, its alternates, the logout form's token,
the language switch back to this page) stays in ``base.html``. A template changed on disk is rendered again
(the environment's template cache notices the change when it checks for changes, in development).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from jinja2 import Environment, Template, pass_context
from markupsafe import Markup

MenusOf = Callable[[Any], Hashable]
"""The menus of a request's session (``auth`` in the page's context), as a hashable value the part is kept under;
the accounts domain knows which roles see which menu (``app.accounts.permissions.menus``)."""


class LayoutParts:
    """The rendered parts, per template, language and menus: at most a few dozen entries (two languages,
    eight combinations of menus, four parts)."""

    def __init__(self, env: Environment, menus_of: MenusOf) -> None:
        self._env = env
        self._menus_of = menus_of
        self._kept: dict[tuple[str, str, Hashable], tuple[Template, Markup]] = {}
        self._lock = threading.Lock()

    def render(self, context: Any, name: str) -> Markup:
        language = context["lang"]
        menus = self._menus_of(context.get("auth"))
        template = self._env.get_template(f"layout/{name}.html")
        key = (name, language, menus)
        kept = self._kept.get(key)
        if kept is not None and kept[0] is template:
            return kept[1]
        text = template.render(
            request=context["request"], lang=language, _=context["_"], gettext=context["gettext"], menus=menus
        )
        markup = Markup(text.strip())  # noqa: S704 - rendered by an autoescaping template
        with self._lock:
            self._kept[key] = (template, markup)
        return markup


def install(env: Environment, menus_of: MenusOf) -> None:
    """Make ``layout_part(name)`` available to every template of ``env``."""
    parts = LayoutParts(env, menus_of)

    @pass_context
    def layout_part(context: Any, name: str) -> Markup:
        return parts.render(context, name)

    env.globals["layout_part"] = layout_part

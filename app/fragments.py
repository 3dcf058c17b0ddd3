"""Parts of a page rendered once per content and language: a blank form's fields.

The evaluator's scoring form places 48 radio buttons with their descriptors and eight justification fields, the
security assessment four factors with four ratings each: more than a third of the CPU of those pages, and the
same markup for every proposal of a challenge in a language while nothing has been filled in.
``BlankParts.render`` renders such a part from its template the first time and keeps the markup, keyed by
everything it is made of (the template, the language and the values it is given, which must be hashable), so a
change of content is a new key rather than a stale part.

The part is rendered with nothing of the request: no request, session, user or CSRF token, only the language's
translations, the values given and empty ``values`` and ``errors`` (a blank form: nothing filled in, nothing
refused); ``url_for`` needs the request and fails loudly there. A part can hold nothing of one visitor that
another could be shown.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from app import i18n

LIMIT = 64  # parts kept per process (15 KB or so each): a few per challenge version and language


class BlankParts:
    """The rendered parts of one app's templates (``app.state.blank_parts``), least recently used dropped first."""

    def __init__(self, env: Environment, limit: int = LIMIT) -> None:
        self._env = env
        self._limit = limit
        self._parts: OrderedDict[tuple[str, str, Hashable], Markup] = OrderedDict()
        self._lock = threading.Lock()

    def render(self, template: str, language: str, values: Mapping[str, Hashable]) -> Markup:
        key = (template, language, tuple(sorted(values.items())))
        with self._lock:
            found = self._parts.get(key)
            if found is not None:
                self._parts.move_to_end(key)
                return found
        blank: dict[str, Any] = {"values": {}, "errors": {}}  # nothing filled in, nothing refused
        context: dict[str, Any] = {**i18n.template_functions(language), "lang": language, **blank, **values}
        found = Markup(self._env.get_template(template).render(context))  # noqa: S704 - autoescaped template output
        with self._lock:
            self._parts[key] = found
            while len(self._parts) > self._limit:
                self._parts.popitem(last=False)
        return found

    def __len__(self) -> int:
        return len(self._parts)

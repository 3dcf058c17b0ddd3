"""Absolute links to the portal's pages, for e-mails and exports: the public base URL and the route table.

Built once from the settings by the web app and the command line alike, and handed to every service that
writes a link, so a message queued from either points at ``PORTAL_BASE_URL``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PathFor = Callable[..., Any]


@dataclass(frozen=True)
class Links:
    base_url: str
    path_for: PathFor

    def url(self, route: str, /, **params: Any) -> str:
        """The absolute URL of a named route, e.g. ``links.url("proposal_detail", proposal_id=7)``."""
        return self.base_url.rstrip("/") + str(self.path_for(route, **params))

"""A production worker renders the public pages once, one after another, before it takes its first request.

What a first request builds stays for the worker's life: the mappers' configuration, the compiled templates, the
statements' compiled SQL, the catalogues. Built by a burst of concurrent first visitors, on several threads at
once, the same things took about 4 MB more of a worker's memory (interleaved with the requests' short-lived
objects, whose freed space the allocator could not give back); built here, one page at a time, they sit together.
The first visitors after a (re)start are served from the page cache, not made to wait for the compilations.

The pages go through the whole application (middleware, page cache, views) as a visitor without cookies but with
a language would; nothing is counted or recorded for them. A warm-up that fails (a database not yet reachable)
is logged and the worker starts all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message

from app.challenges import service as challenge_service
from app.database import Database
from app.settings import SUPPORTED_LANGUAGES

log = logging.getLogger("portal")

# The challenge pages warmed: the templates and statements are the same for every challenge, so a few suffice.
CHALLENGES = 2


def public_paths(db: Database, *, now: datetime, challenges: int = CHALLENGES) -> list[str]:
    """The list, and the page and API document of the first ``challenges`` listed challenges."""
    with db.lookup_session() as session:
        items = challenge_service.list_public_challenges(session, now=now)
    slugs = [item.challenge.slug for item in items[:challenges]]
    return ["/", *(f"/challenges/{slug}" for slug in slugs), *(f"/api/v1/challenges/{slug}" for slug in slugs)]


async def get(app: ASGIApp, path: str, *, base_url: str, cookie: str) -> int:
    """One GET of ``path`` at ``base_url`` through ``app``, sending only ``cookie`` (a visitor without a
    session); returns the status."""
    address = urlsplit(base_url)
    host = address.netloc or "localhost"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": address.scheme or "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", host.encode("idna")), (b"cookie", cookie.encode("latin-1"))],
        "client": ("127.0.0.1", 0),
        "server": (address.hostname or "localhost", address.port or (443 if address.scheme == "https" else 80)),
        "state": {},
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status


async def warm_up(app: ASGIApp, paths: Sequence[str], *, base_url: str, language_cookie: str) -> dict[str, int]:
    """Each path in each language (chosen with the cookie named ``language_cookie``), one after another; the
    statuses by ``"<language> <path>"``."""
    statuses: dict[str, int] = {}
    for path in paths:
        for language in SUPPORTED_LANGUAGES:
            cookie = f"{language_cookie}={language}"
            statuses[f"{language} {path}"] = await get(app, path, base_url=base_url, cookie=cookie)
    unexpected = {page: status for page, status in statuses.items() if status != 200}
    if unexpected:
        log.warning("warming up the public pages: unexpected answers %s", unexpected)
    return statuses

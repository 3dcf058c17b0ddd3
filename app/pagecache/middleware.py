"""The page cache: rendered public pages kept as bytes and served without routing, session or view.

Only ``GET`` requests for the paths it is given (the challenge list, a challenge page, the public API), and only
from a browser without a session cookie: a logged-in user always gets a page rendered for them (their header
and menus). A kept page is served while three things hold:

- the public content's version is the one it was rendered at (read from the database for every request, see
  ``app.pagecache.version``: every worker process and every server sees every change at once);
- the clock is still before the first moment the page could read differently (``app.pagecache.timeline``: the
  next whole minute, or a stage time, or the remaining time to a deadline crossing a whole minute);
- it was rendered for the same path, query string and language: the language the page is rendered in, resolved
  as the app resolves it (``?lang=``, else the language cookie, else ``Accept-Language``, else the default).

Responses carry an ``ETag`` (answered with 304 on ``If-None-Match``), ``Cache-Control: private, no-cache`` (a
browser keeps it but asks every time; no shared cache keeps it), ``Vary: Accept-Encoding, Accept-Language, Cookie`` (``Accept-Encoding, Cookie`` where ``?lang=`` fixes the
language), and are
gzip-compressed when the browser accepts it. These pages hold no secret (no CSRF token, nothing of a session), so
compressing them gives nothing away (BREACH needs a secret in a compressed page); pages for logged-in users are
never compressed. A browser without a CSRF cookie gets a fresh one, as from any other page.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import query_language, resolve_language
from app.pagecache.timeline import valid_until
from app.pagecache.version import ContentWatch
from app.security.cookies import cookie_name
from app.security.csrf import CSRF_COOKIE, csrf_set_cookie, valid_csrf_cookie
from app.tokens import new_token

log = logging.getLogger("portal")

GZIP_MIN_BYTES = 1024
DROPPED = frozenset({b"content-length", b"set-cookie", b"etag", b"cache-control", b"vary", b"content-encoding"})
CACHE_CONTROL = (b"cache-control", b"private, no-cache")
PLACEHOLDER = "csrfcookievalue"


@dataclass(eq=False)
class Entry:
    """One rendered page and the headers to send it with, plain or compressed."""

    version: int
    valid_from: datetime
    valid_until: datetime
    body: bytes
    headers: list[tuple[bytes, bytes]]
    etag: bytes = b""
    plain: list[tuple[bytes, bytes]] = field(default_factory=list)
    compressed: tuple[bytes, list[tuple[bytes, bytes]]] | None = None

    def __post_init__(self) -> None:
        self.etag = b'"' + hashlib.blake2b(self.body, digest_size=12).hexdigest().encode() + b'"'
        self.plain = [*self.headers, (b"content-length", str(len(self.body)).encode()), (b"etag", self.etag)]

    @property
    def gzip_etag(self) -> bytes:
        return self.etag[:-1] + b'-gz"'

    def gzipped(self) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        if self.compressed is None:
            body = gzip.compress(self.body, compresslevel=6, mtime=0)
            headers = [
                *self.headers,
                (b"content-encoding", b"gzip"),
                (b"content-length", str(len(body)).encode()),
                (b"etag", self.gzip_etag),
            ]
            self.compressed = (body, headers)
        return self.compressed

    def not_modified(self, compressed: bool) -> list[tuple[bytes, bytes]]:
        kept = [(name, value) for name, value in self.headers if name not in (b"content-type", b"content-language")]
        return [*kept, (b"etag", self.gzip_etag if compressed else self.etag)]

    @property
    def size(self) -> int:
        return len(self.body) + (len(self.compressed[0]) if self.compressed else len(self.body) // 3)


@dataclass(frozen=True)
class Visitor:
    language: str
    gzip: bool
    if_none_match: bytes
    needs_csrf_cookie: bool


class PageCacheMiddleware:
    """See the module's docstring. Added last in the app factory, so it runs first."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        paths: re.Pattern[str],
        watch: ContentWatch,
        session_cookie: str,
        language_cookie: str,
        default_language: str,
        https: bool,
        max_entries: int = 256,
        max_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.paths = paths
        self.watch = watch
        self.session_marker = session_cookie.encode("latin-1") + b"="
        self.language_cookie = language_cookie
        self.default_language = default_language
        self.csrf_cookie = cookie_name(CSRF_COOKIE, https=https)
        # The Set-Cookie of a fresh CSRF cookie, built once around a placeholder (tokens need no quoting).
        self._cookie_head, _, self._cookie_tail = csrf_set_cookie(PLACEHOLDER, https=https).partition(
            PLACEHOLDER.encode()
        )
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple[str, bytes, str], Entry] = OrderedDict()
        self.size = 0
        self._warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.paths.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        visitor = self._visitor(scope["headers"], scope["query_string"])
        if visitor is None:  # a session cookie: a page of their own
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        try:
            version = await self.watch.version(state.db)
        except Exception as error:
            self._warn(error)
            await self.app(scope, receive, send)
            return
        now = state.clock.now()
        key = (scope["path"], scope["query_string"], visitor.language)
        entry = self.entries.get(key)
        if entry is not None and entry.version == version and entry.valid_from <= now < entry.valid_until:
            self.entries.move_to_end(key)
        else:
            entry = await self._render(scope, receive, send, key, now)
            if entry is None:
                return
        await self._answer(entry, visitor, send)

    def _visitor(self, headers: list[tuple[bytes, bytes]], query: bytes) -> Visitor | None:
        cookie = accept = if_none_match = accept_language = b""
        for name, value in headers:
            if name == b"cookie":
                if self.session_marker in value:
                    return None
                cookie = cookie or value
            elif name == b"accept-encoding":
                accept = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"accept-language":
                accept_language = value
        cookies = cookie_parser(cookie.decode("latin-1")) if cookie else {}
        language = resolve_language(
            query=query_language(query.decode("latin-1")) if query else None,
            cookie=cookies.get(self.language_cookie),
            accept_language=accept_language.decode("latin-1"),
            default=self.default_language,
        )
        return Visitor(
            language=language,
            gzip=bool(accept) and accepts_gzip(accept),
            if_none_match=if_none_match,
            needs_csrf_cookie=not valid_csrf_cookie(cookies.get(self.csrf_cookie, "")),
        )

    async def _render(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, bytes, str], started: datetime
    ) -> Entry | None:
        """Render through the app; keep the page if it may be kept. None when it was answered as it came."""
        state = scope["app"].state
        try:
            content = await self.watch.content(state.db)
        except Exception as error:
            self._warn(error)
            await self.app(scope, receive, send)
            return None
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        finished = state.clock.now()
        entry = self._entry(scope, messages, content.version, started, valid_until(started, content.instants))
        if entry is None:
            for message in messages:
                await send(message)
            return None
        if started <= finished < entry.valid_until and await self._unchanged(state.db, content.version):
            self._store(key, entry)
        for message in messages:  # anything besides the response itself (the test client's debug message)
            if message["type"] not in ("http.response.start", "http.response.body"):
                await send(message)
        return entry

    async def _unchanged(self, db: Any, version: int) -> bool:
        """Nothing public changed while the page was rendered, so it shows exactly this version."""
        try:
            return await self.watch.version(db) == version
        except Exception:
            return False

    def _entry(
        self, scope: Scope, messages: list[Message], version: int, started: datetime, until: datetime
    ) -> Entry | None:
        """The page as an entry, or None when it may not be shared: not a 200, a cookie of its own, a private or
        no-store answer, or a CSRF token in it."""
        starts = [message for message in messages if message["type"] == "http.response.start"]
        if len(starts) != 1 or starts[0]["status"] != 200:
            return None
        headers: list[tuple[bytes, bytes]] = []
        for name, value in starts[0].get("headers", []):
            lowered = name.lower()
            if lowered == b"set-cookie" and not value.startswith(self.csrf_cookie.encode("latin-1") + b"="):
                return None
            if lowered == b"cache-control" and (b"no-store" in value.lower() or b"private" in value.lower()):
                return None
            if lowered not in DROPPED:
                headers.append((lowered, value))
        body = b"".join(message.get("body", b"") for message in messages if message["type"] == "http.response.body")
        token = str(scope.get("state", {}).get("csrf_token", "")).encode()
        if token and token in body:
            return None
        # The language comes from the address where it names one, else from the cookies and Accept-Language.
        fixed = query_language(scope["query_string"].decode("latin-1"))
        vary = b"Accept-Encoding, Cookie" if fixed else b"Accept-Encoding, Accept-Language, Cookie"
        return Entry(version, started, until, body, [*headers, CACHE_CONTROL, (b"vary", vary)])

    def _store(self, key: tuple[str, bytes, str], entry: Entry) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= old.size
        self.entries[key] = entry
        self.size += entry.size
        while self.entries and (len(self.entries) > self.max_entries or self.size > self.max_bytes):
            _, dropped = self.entries.popitem(last=False)
            self.size -= dropped.size

    async def _answer(self, entry: Entry, visitor: Visitor, send: Send) -> None:
        compressed = visitor.gzip and len(entry.body) >= GZIP_MIN_BYTES
        cookie = []
        if visitor.needs_csrf_cookie:
            cookie = [(b"set-cookie", self._cookie_head + new_token().encode() + self._cookie_tail)]
        if visitor.if_none_match and etag_matches(visitor.if_none_match, entry.gzip_etag if compressed else entry.etag):
            await send(
                {"type": "http.response.start", "status": 304, "headers": entry.not_modified(compressed) + cookie}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body, headers = entry.gzipped() if compressed else (entry.body, entry.plain)
        await send({"type": "http.response.start", "status": 200, "headers": headers + cookie})
        await send({"type": "http.response.body", "body": body})

    def _warn(self, error: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.warning("public pages are served without the page cache: %r", error)


def accepts_gzip(header: bytes) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (by name or ``*``, with a quality above zero)."""
    for part in header.decode("latin-1").lower().split(","):
        name, _, params = part.partition(";")
        if name.strip() in ("gzip", "x-gzip", "*"):
            quality = params.strip()
            if not quality.startswith("q="):
                return True
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
    return False


def etag_matches(header: bytes, etag: bytes) -> bool:
    """``If-None-Match`` against an ETag, by the weak comparison RFC 9110 prescribes for it."""
    if header.strip() == b"*":
        return True
    return any(candidate.strip().removeprefix(b"W/") == etag for candidate in header.split(b","))

"""CSRF: every state-changing request carries a token bound to the browser's cookie and to its session.

The CSRF cookie holds a random value; the token is an HMAC under the secret key of that value and of the
session cookie, so another site can neither read nor forge it, a token seen before login is worthless
after it (login starts a new session and renews the CSRF cookie), and a token of one session does not
work in another. The token travels as the form field ``csrf_token`` (URL-encoded forms, and on upload
routes the multipart part that comes before the file) or the ``X-CSRF-Token`` header; never in the URL,
which ends up in access logs. A missing or wrong token is a 403 page.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import N_
from app.security.bodies import BodyTooLarge
from app.security.cookies import cookie_name
from app.tokens import hash_token, new_token, same, sign

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

CSRF_COOKIE = "portal_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = b"x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# How far into a multipart body the token may be: the fields before the file are small.
TOKEN_SEARCH_BYTES = 64 * 1024
EXPIRED = N_("The form had expired or did not come from this site. Go back, reload the page and try again.")


def csrf_token_for(secret: str, csrf_cookie: str, session_cookie: str = "") -> str:
    """The token for a browser with this CSRF cookie and this session cookie (empty when logged out)."""
    return sign(secret, f"csrf:{csrf_cookie}:{hash_token(session_cookie) if session_cookie else ''}")


def rebind_to_no_session(request: Request, *, secret: str, https: bool) -> None:
    """A page rendered while its response drops the session cookie gets the token of a logged-out browser,
    so its forms (log in again) work."""
    cookie = request.cookies.get(cookie_name(CSRF_COOKIE, https=https), "")
    if cookie:
        request.state.csrf_token = csrf_token_for(secret, cookie)


def _cookie_morsel(name: str, value: str, *, https: bool) -> bytes:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if https:
        morsel["secure"] = True
    return morsel.OutputString().encode("latin-1")


def valid_csrf_cookie(value: str) -> bool:
    """A CSRF cookie this portal could have set; any other value is replaced by a fresh one."""
    return 32 <= len(value) <= 64


def csrf_set_cookie(value: str, *, https: bool) -> bytes:
    """The ``Set-Cookie`` header value that gives a browser this CSRF cookie."""
    return _cookie_morsel(cookie_name(CSRF_COOKIE, https=https), value, https=https)


def renew_csrf_cookie(response: Response, *, https: bool) -> None:
    """A new CSRF cookie value (at login): tokens from before no longer match."""
    header = _cookie_morsel(cookie_name(CSRF_COOKIE, https=https), new_token(), https=https)
    response.raw_headers.append((b"set-cookie", header))


class CSRFMiddleware:
    """Checks the token of every state-changing request (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        https: bool,
        session_cookie: str = "",
        exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.secret = secret
        self.https = https
        self.cookie = cookie_name(CSRF_COOKIE, https=https)
        self.session_cookie = session_cookie
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(self.cookie, "")
        fresh = None
        if not valid_csrf_cookie(cookie):
            fresh = cookie = new_token()
        expected = csrf_token_for(self.secret, cookie, request.cookies.get(self.session_cookie, ""))
        scope.setdefault("state", {})["csrf_token"] = expected
        send = self._with_cookie(send, fresh) if fresh else send

        if scope["method"] in UNSAFE_METHODS and not scope["path"].startswith(self.exempt_prefixes):
            try:
                submitted, receive = await _submitted_token(scope, receive)
            except BodyTooLarge:
                await _refuse(scope, receive, send, 413, None)
                return
            if fresh is not None or not submitted or not same(submitted, expected):
                await _refuse(scope, receive, send, 403, EXPIRED)
                return
        await self.app(scope, receive, send)

    def _with_cookie(self, send: Send, value: str) -> Send:
        header = _cookie_morsel(self.cookie, value, https=self.https)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header)]
            await send(message)

        return send_with_cookie


async def _submitted_token(scope: Scope, receive: Receive) -> tuple[str, Receive]:
    """The token the request carries, and a ``receive`` that hands the application the whole body."""
    headers = dict(scope.get("headers", []))
    if CSRF_HEADER in headers:
        return headers[CSRF_HEADER].decode("latin-1"), receive
    media_type, options = parse_options_header(headers.get(b"content-type", b""))
    if media_type == b"application/x-www-form-urlencoded":
        messages = await _read_all(receive)
        body = b"".join(message.get("body", b"") for message in messages)
        fields = parse_qs(body.decode("utf-8", errors="replace"))
        return fields.get(CSRF_FIELD, [""])[0], _replay(messages, receive)
    if media_type == b"multipart/form-data" and options.get(b"boundary"):
        return await _multipart_token(options[b"boundary"], receive)
    return "", receive


async def _read_all(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class _TokenPart:
    """Multipart callbacks that collect the ``csrf_token`` field and stop at the first file part."""

    def __init__(self) -> None:
        self.done = False
        self.token = ""
        self._name = b""
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._value = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._name = b""
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self._disposition)
        if b"filename" in options:
            self.done = True  # a file before the token: the token does not count from here on
        self._name = options.get(b"name", b"")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.done and self._name == CSRF_FIELD.encode() and len(self._value) <= 256:
            self._value += data[start:end]

    def on_part_end(self) -> None:
        if not self.done and self._name == CSRF_FIELD.encode():
            self.token = self._value.decode("latin-1")
            self.done = True

    def on_end(self) -> None:
        self.done = True


async def _multipart_token(boundary: bytes, receive: Receive) -> tuple[str, Receive]:
    """Read the body only as far as the token part (before any file); everything read is replayed."""
    collector = _TokenPart()
    parser = MultipartParser(boundary, collector.callbacks())
    messages: list[Message] = []
    seen = 0
    while not collector.done and seen <= TOKEN_SEARCH_BYTES:
        message = await receive()
        messages.append(message)
        chunk = message.get("body", b"")
        seen += len(chunk)
        try:
            parser.write(chunk)
        except FormParserError:
            return "", _replay(messages, receive)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    return collector.token, _replay(messages, receive)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str | None) -> None:
    from app.web import error_response

    response = error_response(Request(scope, receive), status, message)
    if status == 413:
        response.headers["Connection"] = "close"
    await response(scope, receive, send)

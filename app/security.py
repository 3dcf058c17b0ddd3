"""Security measures that hold for every response: headers now; sessions and CSRF build on this module."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, referrer policy and framing refusal to every response; HSTS over https."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in names]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- CSRF -----------------------------------------------------------------------------------------

CSRF_COOKIE = "portal_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = b"x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 1024 * 1024


class CSRFMiddleware:
    """Every state-changing request must carry the token that belongs to the browser's CSRF cookie.

    The cookie holds a random value; the token is its HMAC under the secret key, so another site can
    neither read nor forge it. The token travels as the form field ``csrf_token`` (URL-encoded forms),
    the ``csrf_token`` query parameter (multipart forms, whose bodies are streamed and not read here) or
    the ``X-CSRF-Token`` header. A missing or wrong token is a 403 page.
    """

    def __init__(self, app: ASGIApp, *, secret: str, https: bool, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.secret = secret
        self.https = https
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request

        from app.tokens import new_token, same, sign

        request = Request(scope)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        fresh = None
        if len(cookie) < 32 or len(cookie) > 64:
            fresh = cookie = new_token()
        expected = sign(self.secret, cookie)
        scope.setdefault("state", {})["csrf_token"] = expected
        send = self._with_cookie(send, fresh) if fresh else send

        if scope["method"] in UNSAFE_METHODS and not scope["path"].startswith(self.exempt_prefixes):
            submitted, receive, too_large = await self._submitted_token(scope, receive, request)
            if too_large:
                await self._refuse(scope, receive, send, 413)
                return
            if fresh is not None or not submitted or not same(submitted, expected):
                await self._refuse(scope, receive, send, 403)
                return
        await self.app(scope, receive, send)

    async def _submitted_token(self, scope: Scope, receive: Receive, request: object) -> tuple[str, Receive, bool]:
        from urllib.parse import parse_qs

        headers = dict(scope.get("headers", []))
        if CSRF_HEADER in headers:
            return headers[CSRF_HEADER].decode("latin-1"), receive, False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if CSRF_FIELD in query:
            return query[CSRF_FIELD][0], receive, False
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"application/x-www-form-urlencoded":
            return "", receive, False
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                return "", receive, True
        fields = parse_qs(body.decode("utf-8", errors="replace"))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return fields.get(CSRF_FIELD, [""])[0], replay, False

    def _with_cookie(self, send: Send, value: str) -> Send:
        from http.cookies import SimpleCookie

        cookie: SimpleCookie = SimpleCookie()
        cookie[CSRF_COOKIE] = value
        morsel = cookie[CSRF_COOKIE]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        if self.https:
            morsel["secure"] = True
        header = morsel.OutputString().encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header)]
            await send(message)

        return send_with_cookie

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        from starlette.requests import Request

        from app.i18n import N_
        from app.web import error_response

        message = (
            N_("The form had expired or did not come from this site. Go back, reload the page and try again.")
            if status == 403
            else None
        )
        response = error_response(Request(scope, receive), status, message)
        await response(scope, receive, send)

"""Response headers for every request: CSP, nosniff, framing refusal, HSTS over https, and no caching of
anything a logged-in browser sees."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
NO_STORE = b"no-store"


def _has_cookie(scope: Scope, name: str) -> bool:
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            cookies: SimpleCookie = SimpleCookie()
            try:
                cookies.load(value.decode("latin-1"))
            except Exception:
                return True
            if name in cookies:
                return True
    return False


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, referrer policy and framing refusal to every response; HSTS over https.

    A response to a browser that carries a session cookie gets ``Cache-Control: no-store`` (unless it
    already says no-store): pages behind a login, document downloads and exports must not stay in a shared
    or a browser cache. Static files keep their caching.
    """

    def __init__(self, app: ASGIApp, *, https: bool, session_cookie: str = "", static_prefix: str = "/static/") -> None:
        self.app = app
        self.session_cookie = session_cookie
        self.static_prefix = static_prefix
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
        private = (
            bool(self.session_cookie)
            and not scope["path"].startswith(self.static_prefix)
            and _has_cookie(scope, self.session_cookie)
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name for name, _ in headers}
                headers += [(name, value) for name, value in self.headers if name not in names]
                if private:
                    headers = _no_store(headers)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _no_store(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    cache = [value for name, value in headers if name.lower() == b"cache-control"]
    if any(NO_STORE in value.lower() for value in cache):
        return headers
    kept = [(name, value) for name, value in headers if name.lower() != b"cache-control"]
    return [*kept, (b"cache-control", NO_STORE)]

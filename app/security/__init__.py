"""Security measures that hold for every request: headers, cookie names, body limits and CSRF.

``headers`` adds the response headers (and ``Cache-Control: no-store`` to whatever a login can see),
``bodies`` gives every route its body limit whatever carries the CSRF token, ``csrf`` checks the token,
which is bound to the browser's session.
"""

from __future__ import annotations

from app.security.bodies import (
    FORM,
    SMALL_FORM,
    BodyLimit,
    BodyLimitMiddleware,
    BodyTooLarge,
    RouteLimits,
    body_limit,
    route_body_limit,
)
from app.security.cookies import cookie_name
from app.security.csrf import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    CSRFMiddleware,
    csrf_set_cookie,
    csrf_token_for,
    rebind_to_no_session,
    renew_csrf_cookie,
    valid_csrf_cookie,
)
from app.security.headers import CONTENT_SECURITY_POLICY, SecurityHeadersMiddleware

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "FORM",
    "SMALL_FORM",
    "BodyLimit",
    "BodyLimitMiddleware",
    "BodyTooLarge",
    "CSRFMiddleware",
    "RouteLimits",
    "SecurityHeadersMiddleware",
    "body_limit",
    "cookie_name",
    "csrf_set_cookie",
    "csrf_token_for",
    "rebind_to_no_session",
    "renew_csrf_cookie",
    "route_body_limit",
    "valid_csrf_cookie",
]

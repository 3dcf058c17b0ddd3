"""Cookie names: over https every cookie of the portal carries the ``__Host-`` prefix.

A browser accepts a ``__Host-`` cookie only when it is Secure, has ``Path=/`` and no ``Domain``, so a
neighbouring subdomain (or a man in the middle on plain http) cannot plant a session or CSRF cookie.
"""

from __future__ import annotations

HOST_PREFIX = "__Host-"


def cookie_name(name: str, *, https: bool) -> str:
    return HOST_PREFIX + name if https else name

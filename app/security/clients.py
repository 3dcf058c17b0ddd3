"""The client's address behind trusted proxies (``PORTAL_TRUSTED_PROXIES``): what throttles and the audit
trail count a request against."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

from app.settings import IPNetwork


def client_ip(request: Request) -> str | None:
    """The client's address: the connection's peer, or, when the peer is one of the trusted proxies
    (``PORTAL_TRUSTED_PROXIES``), the nearest address in ``X-Forwarded-For`` that is not a trusted proxy."""
    peer = request.client.host if request.client else None
    trusted = getattr(request.app.state, "trusted_proxies", ())
    if peer is None or not trusted:
        return peer
    return forwarded_client(peer, request.headers.getlist("x-forwarded-for"), trusted)


def forwarded_client(peer: str, forwarded: list[str], trusted: tuple[IPNetwork, ...]) -> str:
    """Walk ``X-Forwarded-For`` from the right while the hop is a trusted proxy; an unreadable entry stops
    the walk at the last proxy that could vouch for it."""
    hops = [hop.strip() for header in forwarded for hop in header.split(",")]
    current = peer
    while _trusted(current, trusted) and hops:
        candidate = hops.pop()
        try:
            current = str(ipaddress.ip_address(candidate))
        except ValueError:
            return current
    return current


def _trusted(address: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == network.version and ip in network for network in trusted)

"""A throttle per source alone, for public look-ups that anyone may make without an account (the receipt check).

Counted in the ``login_attempt`` table under the request's own kind, per source (the client's address as
``app.web.client_ip`` reads it behind ``PORTAL_TRUSTED_PROXIES``; IPv6 per /64, as for logins and e-mail), so it
holds across processes and servers. A source past its allowance is told how long to wait and nothing is
counted meanwhile, so waiting is enough to be let in again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.mail_throttle import TooManyRequests
from app.accounts.models import LoginAttempt
from app.accounts.throttling import throttle_source


@dataclass(frozen=True)
class SourceLimit:
    kind: str  # the ``login_attempt.kind`` these requests are counted under (at most 20 characters)
    per_source: int  # requests from one source within the window
    window: timedelta


def admit_source(session: Session, *, limit: SourceLimit, ip: str | None, now: datetime) -> None:
    """Count one request from ``ip``; raises TooManyRequests (with the seconds to wait) when the source is past
    its allowance, and counts nothing then. A request without a known address is not throttled."""
    source = throttle_source(ip)
    if not source:
        return
    since = now - limit.window
    count, first = session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.kind == limit.kind, LoginAttempt.ip == source, LoginAttempt.attempted_at > since
        )
    ).one()
    if int(count or 0) >= limit.per_source:
        wait = (first + limit.window - now).total_seconds() if first is not None else limit.window.total_seconds()
        raise TooManyRequests(seconds=max(1, math.ceil(wait)))
    session.add(LoginAttempt(kind=limit.kind, email="", ip=source, attempted_at=now, success=True))
    session.flush()

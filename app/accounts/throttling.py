"""Login throttling that cannot be aimed at someone else.

Failures are counted per account *and source* (the client's address; IPv6 per /64, since one subscriber
gets a whole /64), and per source over all accounts. Past a free allowance, each further attempt from
that source must wait twice as long as the one before, up to a ceiling: the answer is "try again in N
seconds", never a sleeping server thread, and the password is not even checked while the wait runs. A
rival who types wrong passwords for a company's account from their own address slows down only
themselves: the owner, from their address, logs in at once.

The second factor counts its own failures (a correct password does not reset them): a hard limit per
login (the session ends: password again) and per account per hour.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt

PASSWORD = "password"  # noqa: S105 - the kind of attempt, not a password
SECOND_FACTOR = "second_factor"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class LoginLimits:
    per_account: int  # free failures for one account from one source
    per_ip: int  # free failures from one source over all accounts
    window: timedelta  # failures older than this are forgotten
    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=15)
    second_factor_per_login: int = 5
    second_factor_per_hour: int = 10


def throttle_source(ip: str | None) -> str:
    """The unit failures are counted by: the IPv4 address, or the IPv6 /64 it lies in."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def delay_after(failures: int, *, free: int, limits: LoginLimits) -> timedelta:
    """The wait after ``failures`` failures: none within the free allowance, then doubling to the ceiling."""
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, 30)
    delay: timedelta = min(limits.first_delay * (2**doublings), limits.max_delay)
    return delay


def _seconds(until: datetime, now: datetime) -> int:
    return max(0, math.ceil((until - now).total_seconds()))


def _failures(session: Session, *conditions: ColumnElement[bool]) -> tuple[int, datetime | None]:
    row = session.execute(
        select(func.count(), func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.kind == PASSWORD, LoginAttempt.success.is_(False), *conditions
        )
    ).one()
    return int(row[0] or 0), row[1]


def password_wait(session: Session, *, email: str, source: str, now: datetime, limits: LoginLimits) -> int:
    """Seconds this source must still wait before trying this account's password again (0: go ahead)."""
    since = now - limits.window
    last_success = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.email == email,
            LoginAttempt.ip == source,
            LoginAttempt.kind == PASSWORD,
            LoginAttempt.success.is_(True),
            LoginAttempt.attempted_at >= since,
        )
    )
    pair_since = max(since, last_success) if last_success is not None else since
    pair, pair_last = _failures(
        session, LoginAttempt.email == email, LoginAttempt.ip == source, LoginAttempt.attempted_at >= pair_since
    )
    spread, spread_last = _failures(session, LoginAttempt.ip == source, LoginAttempt.attempted_at >= since)
    wait = 0
    if pair_last is not None:
        wait = _seconds(pair_last + delay_after(pair, free=limits.per_account, limits=limits), now)
    if spread_last is not None:
        wait = max(wait, _seconds(spread_last + delay_after(spread, free=limits.per_ip, limits=limits), now))
    return wait


def second_factor_wait(session: Session, *, email: str, now: datetime, limits: LoginLimits) -> int:
    """Seconds until the account's second factor may be tried again after the hourly limit (0: go ahead)."""
    count, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.email == email,
            LoginAttempt.kind == SECOND_FACTOR,
            LoginAttempt.success.is_(False),
            LoginAttempt.attempted_at > now - HOUR,
        )
    ).one()
    if (count or 0) < limits.second_factor_per_hour or oldest is None:
        return 0
    return max(1, _seconds(oldest + HOUR, now))


def record_attempt(
    session: Session, *, email: str, ip: str | None, now: datetime, success: bool, kind: str = PASSWORD
) -> None:
    """One attempt, counted by the throttle's source of ``ip`` (not the full IPv6 address)."""
    session.add(
        LoginAttempt(
            email=email.strip().lower()[:254], ip=throttle_source(ip), attempted_at=now, success=success, kind=kind
        )
    )
    session.flush()


ATTEMPTS_KEPT = timedelta(days=30)
"""How long the record of a login attempt (and of every other request counted in ``login_attempt``: mail sent,
receipts checked) is kept: longer than any window counts back (the longest, invitations, is a day; the login
window is at most ``ATTEMPTS_KEPT`` by the settings' bounds). Older records count for nothing, and hold an
address and an e-mail address: without this, anyone could grow the table without end by failing logins."""


def forget_old_attempts(session: Session, *, now: datetime, batch: int = 10_000) -> int:
    """Delete the attempts older than ``ATTEMPTS_KEPT``, at most ``batch`` of them (the rest at the next run, so
    a backlog never holds the write lock for long); returns how many. The caller commits."""
    old = (
        select(LoginAttempt.id)
        .where(LoginAttempt.attempted_at < now - ATTEMPTS_KEPT)
        .order_by(LoginAttempt.attempted_at)
        .limit(batch)
    )
    ids = list(session.scalars(old))
    if ids:
        session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(ids)))
    return len(ids)

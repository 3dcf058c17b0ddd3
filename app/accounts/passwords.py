"""Password hashing (Argon2id) and the password rules: length and not among the most common passwords."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.i18n import N_

MIN_LENGTH = 12
MAX_LENGTH = 256
_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verifying against this keeps a login for an unknown address as slow as one for a known address.
DUMMY_HASH = _hasher.hash("not-a-real-password-but-it-costs-the-same")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "") -> str | None:
    """The msgid of what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return N_("Use at least 12 characters.")
    if len(password) > MAX_LENGTH:
        return N_("Use at most 256 characters.")
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.strip("0123456789!") in _common_passwords():
        return N_("This password is too common. Choose one that is harder to guess.")
    if email and lowered == email.lower():
        return N_("Do not use your e-mail address as password.")
    return None

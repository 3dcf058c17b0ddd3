"""Password hashing (Argon2id) and the password rules: length and not among the most common passwords."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from app.i18n import N_

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 12
MAX_LENGTH = 256
# Verifying against this keeps a login for an unknown address as slow as one for a known address. The hash of
# a random password nobody kept, made with the hasher's parameters (a test holds them equal): not a secret.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$tl95U+sl5BM+HTbZS59IkQ$iexKWdeXeRHoNIQx25og4f1J61vsOL6V2aIbJEmZr38"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    """argon2-cffi's defaults: Argon2id with RFC 9106's low-memory profile. Imported at the first password a
    process hashes or checks: a worker that serves only pages never loads it."""
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


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

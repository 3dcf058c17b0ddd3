"""The authenticator secret at rest: encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under a key derived
from the portal's secret key with HKDF, so a copy of the database alone gives no second factors.

The secret offered at enrolment is made on the server as well, from a second derived key and the login
session: the browser only ever shows it, and the enrolment form does not send it back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

# cryptography (its OpenSSL bindings, 6 MB in every web worker) is imported when a box is first made: only a
# second factor's enrolment, check or reset needs one.

SEAL_INFO = b"portal: authenticator secrets at rest v1"
ENROL_INFO = b"portal: authenticator secrets offered at enrolment v1"


def _derive(secret_key: str, info: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret_key.encode("utf-8"))


class SecretUnreadable(Exception):
    """A sealed secret that this key cannot open (the secret key was changed)."""


class SecretBox:
    """Seals and opens authenticator secrets with keys derived from the portal's secret key."""

    def __init__(self, secret_key: str) -> None:
        from cryptography.fernet import Fernet

        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret_key, SEAL_INFO)))
        self._enrol_key = _derive(secret_key, ENROL_INFO)

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("ascii")).decode("ascii")

    def open(self, sealed: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("ascii")
        except InvalidToken as error:
            raise SecretUnreadable() from error

    def enrolment_secret(self, binding: str) -> str:
        """A 160-bit base32 secret (as authenticator apps expect) for one login session's enrolment."""
        digest = hmac.new(self._enrol_key, binding.encode("utf-8"), hashlib.sha256).digest()
        return base64.b32encode(digest[:20]).decode("ascii")


@lru_cache(maxsize=4)
def secret_box(secret_key: str) -> SecretBox:
    """The box for a secret key, built once per process."""
    return SecretBox(secret_key)

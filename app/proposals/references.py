"""Proposal references: short, readable, not guessable, and not sequential.

``P-7KQ4-M2XD``: eight characters from an alphabet without the look-alikes 0/O and 1/I/L, drawn with
``secrets`` (32^8, about 10^12, per reference), so a company's reference says nothing about how many
proposals a challenge has, and another proposal's reference cannot be guessed from it. At least one letter,
so a reference written without its hyphens is never mistaken for an old sequential one (``P-000123``),
which proposals from before keep.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_NEW = re.compile(rf"^P-?([{ALPHABET}]{{4}})-?([{ALPHABET}]{{4}})$")
_OLD = re.compile(r"^P-?(\d{1,9})$")


def new_reference() -> str:
    """A fresh random reference with at least one letter."""
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(8))
        if not body.isdigit():
            return f"P-{body[:4]}-{body[4:]}"


def normalise_reference(value: str) -> str | None:
    """The reference as stored, from how a person may write it (any case, spaces, with or without hyphens);
    None when it is not a reference. Linear in the text."""
    compact = re.sub(r"\s+", "", value).upper()
    if match := _NEW.match(compact):
        return f"P-{match.group(1)}-{match.group(2)}"
    if match := _OLD.match(compact):
        return f"P-{int(match.group(1)):06d}"
    return None

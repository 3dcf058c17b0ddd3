"""Files sent with an outbox message: what a caller hands to ``queue_email``, checked and made safe for headers.

A file name becomes ASCII letters, digits, dots, dashes and underscores (at most 100 characters, the extension
kept), so it can neither carry a header line of its own nor a path; a media type must be ``type/subtype`` with
plain ``; name=value`` parameters (``text/calendar; charset=utf-8; method=PUBLISH``). A message carries at most
``MAX_ATTACHMENTS`` files of at most ``MAX_ATTACHMENT_BYTES`` each. Attachments come from the portal's own code,
never from a user's upload: anything else is a programming error (``AttachmentRefused``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.notifications.models import MAX_ATTACHMENT_BYTES, OutboxAttachment

MAX_ATTACHMENTS = 5
FILENAME_LIMIT = 100
MEDIA_TYPE_LIMIT = 200
FALLBACK_NAME = "attachment"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MIME_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"  # noqa: S105 - RFC 2045 token characters, not a password
_MEDIA_TYPE = re.compile(
    rf"(?P<type>{_MIME_TOKEN})/(?P<subtype>{_MIME_TOKEN})(?P<params>(?:\s*;\s*{_MIME_TOKEN}={_MIME_TOKEN})*)"
)


class AttachmentRefused(ValueError):
    """Too many files, one too large, or a media type that is not ``type/subtype; name=value``."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    media_type: str
    content: bytes


def safe_filename(name: str) -> str:
    """``Bijeenkomst 12 januari.ics`` -> ``Bijeenkomst-12-januari.ics``: ASCII, no path, no line break."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("-", ascii_name).strip(".-_")
    if len(cleaned) > FILENAME_LIMIT:
        stem, dot, extension = cleaned.rpartition(".")
        extension = extension[:10] if dot and stem else ""
        cleaned = cleaned[: FILENAME_LIMIT - len(extension) - 1].rstrip(".-_") + (f".{extension}" if extension else "")
    return cleaned or FALLBACK_NAME


def parse_media_type(media_type: str) -> tuple[str, str, dict[str, str]]:
    """(main type, subtype, parameters) of ``text/calendar; charset=utf-8``; raises ``AttachmentRefused``."""
    match = _MEDIA_TYPE.fullmatch(media_type.strip()) if len(media_type) <= MEDIA_TYPE_LIMIT else None
    if match is None:
        raise AttachmentRefused(f"not a media type: {media_type[:80]!r}")
    params = {}
    for part in match["params"].split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            params[name.lower()] = value
    return match["type"].lower(), match["subtype"].lower(), params


def stored(attachments: tuple[Attachment, ...] | list[Attachment]) -> list[OutboxAttachment]:
    """The rows to store with a message: checked, the names made safe; raises ``AttachmentRefused``."""
    if len(attachments) > MAX_ATTACHMENTS:
        raise AttachmentRefused(f"{len(attachments)} attachments: at most {MAX_ATTACHMENTS}")
    rows = []
    for attachment in attachments:
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            raise AttachmentRefused(f"{len(attachment.content)} bytes: at most {MAX_ATTACHMENT_BYTES}")
        parse_media_type(attachment.media_type)
        rows.append(
            OutboxAttachment(
                filename=safe_filename(attachment.filename),
                media_type=attachment.media_type.strip(),
                size=len(attachment.content),
                content=bytes(attachment.content),
            )
        )
    return rows

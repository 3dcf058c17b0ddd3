"""Receiving one uploaded file: streamed to the blob store's temporary folder, hashed and counted as it arrives.

Starlette's ``request.form()`` spools every file part to disk with no size limit, so a request body past
the limit would be read to its end. Here the body is parsed as it streams in, with python-multipart's
push parser: the upload is refused before reading when ``Content-Length`` already says it is too large,
and reading stops as soon as the file's bytes pass the limit. Memory stays at one chunk of the body.

The client's file name is display text only; nothing builds a path from it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import anyio.to_thread
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

from app.errors import DomainError
from app.i18n import N_
from app.storage import BlobStore, refusing_when_full

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MIB = 1024 * 1024
# The form's other fields (CSRF token, a note) are small; together they may take this much.
MAX_FIELDS_BYTES = 64 * 1024
# Room for the multipart framing: boundaries and part headers.
FRAMING_ALLOWANCE = 16 * 1024
MAX_PARTS = 50
# File bytes are written in batches of about this size (memory per upload stays near it).
WRITE_BATCH = 1024 * 1024
MAX_NAME_CHARS = 255
DEFAULT_NAME = "document"
# Bidirectional overrides and similar invisible marks make "gpj.exe" look like "exe.jpg"; zero-width
# joiners stay, since scripts and emoji need them.
_KEPT_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})


class UploadTooLarge(DomainError):
    """The body is (or announces itself as) larger than the document slot allows. ``params``: ``limit`` in MB."""

    message = N_("The file is larger than %(limit)s MB.")


class UploadMissing(DomainError):
    message = N_("Choose a file to upload.")


class UploadMalformed(DomainError):
    message = N_("The upload could not be read. Please try again.")


@dataclass(frozen=True)
class ReceivedFile:
    """A file received completely into the store's temporary folder; ``filename`` is display text only."""

    path: Path
    sha256: str
    size: int
    filename: str
    declared_type: str
    fields: dict[str, str] = field(default_factory=dict)


def limit_in_mb(max_bytes: int) -> int | float:
    """The limit as people read it: ``10`` for 10 MiB, ``0.5`` for half of one."""
    value = max_bytes / MIB
    return int(value) if value == int(value) else round(value, 1)


def too_large(max_bytes: int) -> UploadTooLarge:
    return UploadTooLarge(limit=limit_in_mb(max_bytes))


def display_name(raw: str) -> str:
    """The client's file name made safe to show: base name only, no control characters, NFC, at most 255."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch
        for ch in unicodedata.normalize("NFC", name)
        if unicodedata.category(ch) != "Cc" and (unicodedata.category(ch) != "Cf" or ch in _KEPT_FORMAT_CHARACTERS)
    )
    name = name.strip()
    if not name.strip("."):
        return DEFAULT_NAME
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 16:
            name = stem[: MAX_NAME_CHARS - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME_CHARS]
    return unicodedata.normalize("NFC", name)


def _decode(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


class _Receiver:
    """The parser's callbacks: file bytes are queued for the writer, small fields kept, limits checked."""

    def __init__(self, *, field_name: str, max_bytes: int) -> None:
        self.field_name = field_name
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.fields_bytes = 0
        self.parts = 0
        self.found = False
        self.filename = ""
        self.declared_type = ""
        self.size = 0
        self.finished = False
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self._in_file = False
        self._discard = False
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._value = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise UploadMalformed()
        self._headers = {}
        self._in_file = self._discard = False
        self._name = ""
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise UploadMalformed()
        self._name = _decode(options[b"name"])
        if self._name == self.field_name and b"filename" in options:
            if self.found:  # one file per request: a second one is not what any form of ours sends
                raise UploadMalformed()
            self.found = self._in_file = True
            self.filename = _decode(options[b"filename"])
            content_type, _ = parse_options_header(self._headers.get(b"content-type", b""))
            self.declared_type = _decode(content_type)[:100]
        elif b"filename" in options:
            self._discard = True  # another file input: its bytes count against the fields' budget, then vanish

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        length = end - start
        if self._in_file:
            self.size += length
            if self.size > self.max_bytes:
                raise too_large(self.max_bytes)
            self.pending.append(data[start:end])
            self.pending_bytes += length
            return
        self.fields_bytes += length
        if self.fields_bytes > MAX_FIELDS_BYTES:
            raise UploadMalformed()
        if not self._discard:
            self._value += data[start:end]

    def on_part_end(self) -> None:
        if not self._in_file and not self._discard and self._name != self.field_name:
            self.fields[self._name] = _decode(bytes(self._value)).replace("\x00", "")
        self._in_file = False

    def on_end(self) -> None:
        self.finished = True


def _check_headers(request: Request, max_bytes: int) -> bytes:
    """The boundary of a multipart body that does not announce a size past the limit."""
    media_type, options = parse_options_header(request.headers.get("content-type", ""))
    if media_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadMalformed()
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise UploadMalformed()
        if int(declared) > max_bytes + MAX_FIELDS_BYTES + FRAMING_ALLOWANCE:
            raise too_large(max_bytes)
    return options[b"boundary"]


def _write(handle: BinaryIO, digest: hashlib._Hash, chunks: list[bytes]) -> None:
    with refusing_when_full():
        for chunk in chunks:
            handle.write(chunk)
            digest.update(chunk)


async def _flush(receiver: _Receiver, handle: BinaryIO, digest: hashlib._Hash) -> None:
    """Hash and write what has arrived, in a worker thread (a batch at a time: few thread hops per file)."""
    if receiver.pending:
        chunks, receiver.pending, receiver.pending_bytes = receiver.pending, [], 0
        await anyio.to_thread.run_sync(_write, handle, digest, chunks)


async def _consume(request: Request, receiver: _Receiver, boundary: bytes, handle: BinaryIO) -> str:
    """Feed the body to the parser chunk by chunk; file bytes go to ``handle`` off the event loop."""
    digest = hashlib.sha256()
    try:
        parser = MultipartParser(boundary, receiver.callbacks())
    except FormParserError as exc:
        raise UploadMalformed() from exc
    body_limit = receiver.max_bytes + MAX_FIELDS_BYTES + FRAMING_ALLOWANCE
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > body_limit:  # framing or headers past any honest form
                raise too_large(receiver.max_bytes)
            parser.write(chunk)
            if receiver.pending_bytes >= WRITE_BATCH:
                await _flush(receiver, handle, digest)
        parser.finalize()
        await _flush(receiver, handle, digest)
    except FormParserError as exc:
        raise UploadMalformed() from exc
    except ClientDisconnect as exc:
        raise UploadMalformed() from exc
    if not receiver.finished:
        raise UploadMalformed()
    return digest.hexdigest()


async def discard_rest(request: Request, *, max_bytes: int) -> bool:
    """Read and drop what is left of a body whose file could not be kept (within the slot's limit), so that
    the client, which is still sending, gets to read the answer. False if the client went away or sent
    more than the limit allows: the connection is then closed after the answer."""
    limit = max_bytes + MAX_FIELDS_BYTES + FRAMING_ALLOWANCE
    dropped = 0
    try:
        async for chunk in request.stream():
            dropped += len(chunk)
            if dropped > limit:
                return False
    except ClientDisconnect:
        return False
    except RuntimeError:  # the body had been read to its end already
        return True
    return True


@asynccontextmanager
async def receive_file(
    request: Request, *, field: str, max_bytes: int, store: BlobStore
) -> AsyncIterator[ReceivedFile]:
    """Receive the file part named ``field`` of a multipart request into a temporary file of ``store``.

    Raises ``UploadTooLarge`` (the declared length or the file's bytes pass ``max_bytes``, which stops the
    reading at once), ``UploadMissing`` (no file chosen), ``UploadMalformed`` or ``StorageFull`` (the store's
    disk has no room: the reading stops, the rest of the body is left unread). The temporary file is
    removed when the block ends, unless ``store.put()`` moved it into the store.
    """
    boundary = _check_headers(request, max_bytes)
    receiver = _Receiver(field_name=field, max_bytes=max_bytes)
    with store.temporary_file() as (path, handle):
        sha256 = await _consume(request, receiver, boundary, handle)
        if not receiver.found or (receiver.size == 0 and not receiver.filename):
            raise UploadMissing()
        with refusing_when_full():
            handle.flush()
        yield ReceivedFile(
            path=path,
            sha256=sha256,
            size=receiver.size,
            filename=display_name(receiver.filename),
            declared_type=receiver.declared_type,
            fields=receiver.fields,
        )

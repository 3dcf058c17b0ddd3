"""What an uploaded document really is, decided from its bytes, never from its name or the browser's claim.

A PDF must parse, be unencrypted, stay within the page limit and carry no JavaScript or launch actions.
Word and Excel files must be real Office Open XML packages without macros and without a zip-bomb's
unpacked size. PNG and JPEG are recognised by their signatures. Everything else is refused with a
message that says why.

The PDF check walks every object the file's cross-reference tables list, whether or not the page tree
reaches it, because a viewer may run an action from any of them. Stream contents are skipped (actions
live in dictionaries), so a 100 MB PDF is checked without reading 100 MB into memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader, apply_configuration
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
    read_object,
)

from app.errors import DomainError
from app.i18n import N_
from app.proposals.enums import DocumentKind

MEDIA_TYPES: dict[DocumentKind, str] = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocumentKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DocumentKind.PNG: "image/png",
    DocumentKind.JPEG: "image/jpeg",
}
LABELS: dict[DocumentKind, str] = {
    DocumentKind.PDF: "PDF",
    DocumentKind.DOCX: "Word (.docx)",
    DocumentKind.XLSX: "Excel (.xlsx)",
    DocumentKind.PNG: "PNG",
    DocumentKind.JPEG: "JPEG",
}
PDF_HEADER_WINDOW = 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
ZIP_SIGNATURE = b"PK\x03\x04"
# An Office file's parts unpack to far less than this; more is a zip bomb aimed at whoever opens it.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
# Streams longer than this are skipped, not read, while looking for actions.
SKIP_STREAM_BYTES = 64 * 1024

_SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/XFA"})
_SCRIPT_ACTIONS = frozenset({"/JavaScript"})
_LAUNCH_ACTIONS = frozenset({"/Launch"})


class DocumentRefused(DomainError):
    """The document is not accepted; ``message`` says why (a msgid), ``params`` fill it in.

    ``reason`` is a stable code for logs and tests: ``empty``, ``type``, ``unknown``, ``pdf_unreadable``,
    ``pdf_encrypted``, ``pdf_pages``, ``pdf_javascript``, ``pdf_launch``, ``office_unreadable``,
    ``office_macros``, ``office_unpacked_size``.
    """

    message = N_("The document is not accepted.")

    def __init__(self, message: str, *, reason: str, **params: object) -> None:
        super().__init__(message, **params)
        self.reason = reason


@dataclass(frozen=True)
class Inspection:
    kind: DocumentKind
    media_type: str
    pages: int | None


def allowed_label(allowed: Collection[str]) -> str:
    """``PDF, Word (.docx)``: the allowed types in a fixed order, as people know them."""
    return ", ".join(LABELS[kind] for kind in DocumentKind if kind.value in allowed)


def inspect_document(path: Path, *, allowed: Collection[str], max_pages: int | None) -> Inspection:
    """Decide the document's type from its bytes and check it; raises ``DocumentRefused`` with the reason."""
    with path.open("rb") as handle:
        head = handle.read(PDF_HEADER_WINDOW)
        if not head:
            raise DocumentRefused(N_("The file is empty."), reason="empty")
        kind = _sniff(handle, head)
        if kind is None:
            raise DocumentRefused(
                N_("The type of the file could not be recognised from its content. Allowed: %(allowed)s."),
                reason="unknown",
                allowed=allowed_label(allowed),
            )
        if kind.value not in allowed:
            raise DocumentRefused(
                N_("The file is a %(kind)s file, which is not accepted here. Allowed: %(allowed)s."),
                reason="type",
                kind=LABELS[kind],
                allowed=allowed_label(allowed),
            )
        pages = None
        if kind is DocumentKind.PDF:
            pages = _check_pdf(path, handle, max_pages=max_pages)
        elif kind in (DocumentKind.DOCX, DocumentKind.XLSX):
            _check_office(handle, kind)
    return Inspection(kind=kind, media_type=MEDIA_TYPES[kind], pages=pages)


def _sniff(handle: BinaryIO, head: bytes) -> DocumentKind | None:
    if b"%PDF-" in head:
        return DocumentKind.PDF
    if head.startswith(PNG_SIGNATURE):
        return DocumentKind.PNG
    if head.startswith(JPEG_SIGNATURE):
        return DocumentKind.JPEG
    if head.startswith(ZIP_SIGNATURE):
        return _office_kind(handle)
    return None


# --- Office Open XML ------------------------------------------------------------------------------


def _office_kind(handle: BinaryIO) -> DocumentKind | None:
    """Word or Excel when the ZIP package has the parts that make one; None for any other ZIP."""
    try:
        with zipfile.ZipFile(handle) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DocumentKind.DOCX
    if "xl/workbook.xml" in names:
        return DocumentKind.XLSX
    return None


def _check_office(handle: BinaryIO, kind: DocumentKind) -> None:
    label = LABELS[kind]
    try:
        with zipfile.ZipFile(handle) as package:
            infos = package.infolist()
            content_types = package.getinfo("[Content_Types].xml")
            if content_types.file_size > MAX_CONTENT_TYPES_BYTES:
                raise _office_unreadable(label)
            declared = package.read(content_types)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError) as exc:
        raise _office_unreadable(label) from exc
    if len(infos) > MAX_ZIP_ENTRIES or sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise DocumentRefused(
            N_("The %(kind)s file unpacks to more than %(limit)s MB, which is not accepted."),
            reason="office_unpacked_size",
            kind=label,
            limit=MAX_UNPACKED_BYTES // (1024 * 1024),
        )
    has_macros = any(info.filename.lower().rsplit("/", 1)[-1] == "vbaproject.bin" for info in infos)
    if has_macros or b"macroenabled" in declared.lower():
        raise DocumentRefused(
            N_("The %(kind)s file contains macros. Save it without macros and upload it again."),
            reason="office_macros",
            kind=label,
        )


def _office_unreadable(label: str) -> DocumentRefused:
    return DocumentRefused(
        N_("The %(kind)s file could not be read. It may be damaged; save it again and upload it."),
        reason="office_unreadable",
        kind=label,
    )


# --- PDF ------------------------------------------------------------------------------------------


def _pdf_unreadable() -> DocumentRefused:
    return DocumentRefused(
        N_("The PDF file could not be read. It may be damaged; save or export it again and upload it."),
        reason="pdf_unreadable",
    )


def _check_pdf(path: Path, handle: BinaryIO, *, max_pages: int | None) -> int:
    handle.seek(0)
    try:
        # A handle, not the path: pypdf reads a path wholly into memory.
        reader = PdfReader(handle, strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:
        if "encrypt" in str(exc).lower() or "decrypt" in str(exc).lower():
            raise _pdf_encrypted() from exc
        raise _pdf_unreadable() from exc
    if encrypted:
        raise _pdf_encrypted()
    try:
        pages = len(reader.pages)
    except Exception as exc:
        raise _pdf_unreadable() from exc
    if pages < 1:
        raise _pdf_unreadable()
    if max_pages is not None and pages > max_pages:
        raise DocumentRefused(
            N_("The PDF file has %(pages)s pages; at most %(max_pages)s are allowed."),
            reason="pdf_pages",
            pages=pages,
            max_pages=max_pages,
        )
    with path.open("rb") as raw:
        skipping = _SkipLongReads(raw)
        size = path.stat().st_size
        with apply_configuration(maximum_declared_stream_length=max(size, 1)):
            for obj in _every_object(reader, skipping):
                _refuse_actions(obj)
    return pages


def _pdf_encrypted() -> DocumentRefused:
    return DocumentRefused(
        N_("The PDF file is encrypted or protected with a password. Upload it without protection."),
        reason="pdf_encrypted",
    )


class _SkipLongReads(io.RawIOBase):
    """A file view on which a long read moves past the bytes instead of returning them.

    pypdf reads a stream's whole content when it parses the stream's dictionary; looking for actions
    needs only the dictionary, so long stream contents are skipped and memory stays small.
    """

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self.raw = raw

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size > SKIP_STREAM_BYTES:
            self.raw.seek(size, io.SEEK_CUR)
            return b""
        return self.raw.read(-1 if size is None else size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


def _every_object(reader: PdfReader, skipping: _SkipLongReads) -> Iterator[PdfObject]:
    """Every object in the file: those the cross-reference tables list, those in object streams, and any
    other ``n g obj`` in the bytes (a viewer repairing a damaged file finds those too)."""
    seen: set[int] = set()
    for generation, entries in reader.xref.items():
        for idnum, offset in entries.items():
            if reader.xref_free_entry.get(generation, {}).get(idnum, False):
                continue
            seen.add(offset)
            yield _read_at(reader, skipping, idnum, generation, offset)
    for idnum in reader.xref_objStm:
        try:
            obj = reader.get_object(IndirectObject(idnum, 0, reader))
        except Exception as exc:
            raise _pdf_unreadable() from exc
        if obj is not None:
            yield obj
    for offset, idnum, generation in _object_headers(skipping.raw):
        if offset in seen:
            continue
        seen.add(offset)
        found = _read_fast(reader, skipping, idnum, generation, offset)
        if found is None:
            continue  # not an object after all (or one no viewer could read either)
        yield found
        if isinstance(found, DictionaryObject) and found.get("/Type") == "/ObjStm":
            yield from _objects_in_stream(reader, skipping.raw, offset)


# The number and generation that end right before an ``obj`` keyword.
_OBJECT_NUMBERS = re.compile(rb"(?<![0-9])([0-9]{1,10})[\x00\t\n\f\r ]+([0-9]{1,5})[\x00\t\n\f\r ]+\Z")
# The keyword alone: a compiled literal pattern scans about twice as fast as ``bytes.find``.
_KEYWORD = re.compile(rb"obj")
SCAN_CHUNK = 1024 * 1024
SCAN_OVERLAP = 64


def _object_headers(raw: BinaryIO) -> Iterator[tuple[int, int, int]]:
    """Offset, number and generation of every ``n g obj`` in the file, read a chunk at a time.

    Looks for the keyword first (a fast literal search), then for the numbers before it: a regular
    expression tried at every digit would take seconds on 100 MB.
    """
    raw.seek(0)
    position, tail = 0, b""
    while chunk := raw.read(SCAN_CHUNK):
        data = tail + chunk
        start = position - len(tail)
        for keyword in _KEYWORD.finditer(data):
            found = keyword.start()
            following = data[found + 3 : found + 4]
            if not following.isalnum():
                match = _OBJECT_NUMBERS.search(data, max(0, found - SCAN_OVERLAP), found)
                if match:
                    yield start + match.start(), int(match.group(1)), int(match.group(2))
        position += len(chunk)
        tail = data[-SCAN_OVERLAP:]


def _objects_in_stream(reader: PdfReader, raw: BinaryIO, offset: int) -> Iterator[PdfObject]:
    """The objects of an object stream at ``offset`` that no cross-reference entry lists."""
    try:
        raw.seek(offset)
        reader.read_object_header(raw)
        stream = read_object(raw, reader)
        if not isinstance(stream, StreamObject):
            return
        count, first = stream.get("/N"), stream.get("/First")
        if not isinstance(count, int) or not isinstance(first, int):
            return
        data = stream.get_data()
        numbers = [int(value) for value in data[:first].split()]
    except Exception:  # an object stream no viewer could read either
        return
    for position in numbers[1 : 2 * count : 2]:
        try:
            yield read_object(io.BytesIO(data[first + position :]), reader)
        except Exception:  # noqa: S112 - an unreadable entry holds no action a viewer could run
            continue


def _read_at(reader: PdfReader, skipping: _SkipLongReads, idnum: int, generation: int, offset: int) -> PdfObject:
    obj = _read_fast(reader, skipping, idnum, generation, offset)
    if obj is not None:
        return obj
    # A damaged offset: let pypdf repair it (it reads the file to find the object), then drop its cache.
    try:
        obj = reader.get_object(IndirectObject(idnum, generation, reader))
    except Exception as exc:
        raise _pdf_unreadable() from exc
    reader.resolved_objects.pop((generation, idnum), None)
    if obj is None:
        raise _pdf_unreadable()
    return obj


def _read_fast(
    reader: PdfReader, skipping: _SkipLongReads, idnum: int, generation: int, offset: int
) -> PdfObject | None:
    """The object at its cross-reference offset, long stream contents skipped; None when it is not there."""
    try:
        skipping.seek(offset)
        if reader.read_object_header(skipping) != (idnum, generation):  # type: ignore[arg-type]
            return None
        return read_object(skipping, reader)  # type: ignore[arg-type]
    except Exception:  # a damaged file: the slow path repairs what pypdf can repair
        return None


def _refuse_actions(obj: PdfObject) -> None:
    """Refuse an object that is, or directly contains, a script or a launch action."""
    stack: list[PdfObject] = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):
            keys = {str(key) for key in item}
            action = dict.get(item, "/S")
            if isinstance(action, IndirectObject):
                action = action.get_object()
            if keys & _SCRIPT_KEYS or (isinstance(action, NameObject) and action in _SCRIPT_ACTIONS):
                raise DocumentRefused(
                    N_(
                        "The PDF file contains JavaScript, which is not accepted. "
                        "Save it without scripts (for example by printing it to PDF) and upload it again."
                    ),
                    reason="pdf_javascript",
                )
            if "/Launch" in keys or (isinstance(action, NameObject) and action in _LAUNCH_ACTIONS):
                raise DocumentRefused(
                    N_(
                        "The PDF file contains an action that starts another program, which is not accepted. "
                        "Save it without that action (for example by printing it to PDF) and upload it again."
                    ),
                    reason="pdf_launch",
                )
            stack.extend(dict.values(item))
        elif isinstance(item, ArrayObject):
            stack.extend(item)

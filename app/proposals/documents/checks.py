"""What an uploaded document really is, decided from its bytes, never from its name or the browser's claim.

An allow-list: a PDF must parse, be unencrypted, stay within the page limit and hold nothing a viewer could
run, open or unpack (``pdf.py``); Word, Excel and PowerPoint files must be real Office Open XML packages
within bounds and without macros, outside links, embedded objects or DDE (``office.py``). PNG and JPEG are
recognised by their signatures. Everything else is refused with a message that says what was found.

Every check takes time linear in the file's size. Uploads run it in a separate process with CPU-time and
memory limits (``isolation.py``), so a file built to be costly is refused, not allowed to stall the server.
"""

from __future__ import annotations

import mmap
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.errors import DomainError
from app.i18n import N_
from app.proposals.documents import pdf
from app.proposals.enums import DocumentKind

MEDIA_TYPES: dict[DocumentKind, str] = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocumentKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DocumentKind.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    DocumentKind.PNG: "image/png",
    DocumentKind.JPEG: "image/jpeg",
}
LABELS: dict[DocumentKind, str] = {
    DocumentKind.PDF: "PDF",
    DocumentKind.DOCX: "Word (.docx)",
    DocumentKind.XLSX: "Excel (.xlsx)",
    DocumentKind.PPTX: "PowerPoint (.pptx)",
    DocumentKind.PNG: "PNG",
    DocumentKind.JPEG: "JPEG",
}
PDF_HEADER_WINDOW = 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
ZIP_SIGNATURE = b"PK\x03\x04"
# The file name extension a download gets for each type (a PDF uploaded as brief.exe downloads as brief.pdf).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",),
    "docx": ("docx",),
    "xlsx": ("xlsx",),
    "pptx": ("pptx",),
    "png": ("png",),
    "jpeg": ("jpg", "jpeg"),
}
_OFFICE_PARTS = {
    "word/document.xml": DocumentKind.DOCX,
    "xl/workbook.xml": DocumentKind.XLSX,
    "ppt/presentation.xml": DocumentKind.PPTX,
}


class DocumentRefused(DomainError):
    """The document is not accepted; ``message`` says why (a msgid), ``params`` fill it in.

    ``reason`` is a stable code for logs and tests: ``empty``, ``type``, ``unknown``, ``limits``,
    ``pdf_unreadable``, ``pdf_encrypted``, ``pdf_pages``, ``pdf_javascript``, ``pdf_launch``, ``pdf_outside``,
    ``pdf_media``, ``pdf_embedded``, ``pdf_xfa``, ``pdf_extra_data``, ``office_unreadable``, ``office_macros``,
    ``office_unpacked_size``, ``office_external``, ``office_ole``, ``office_dde``.
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


def beyond_limits(*, seconds: float, megabytes: int) -> DocumentRefused:
    """The check ran out of its CPU time or memory."""
    return DocumentRefused(
        N_(
            "The document could not be checked within the limits (%(seconds)s seconds of processing, "
            "%(megabytes)s MB of memory). Save or export it again, smaller or simpler, and upload it."
        ),
        reason="limits",
        seconds=f"{seconds:g}",
        megabytes=megabytes,
    )


def download_name(name: str, kind: str) -> str:
    """``name`` with the extension of the type its bytes showed: ``brief.exe`` holding a PDF is ``brief.pdf``."""
    extensions = EXTENSIONS.get(kind)
    if not extensions:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and extension.lower() in extensions:
        return name
    return f"{stem if dot and stem else name}.{extensions[0]}"


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
        elif kind in (DocumentKind.DOCX, DocumentKind.XLSX, DocumentKind.PPTX):
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
    """Word, Excel or PowerPoint when the ZIP package has the parts that make one; None for any other ZIP."""
    try:
        with zipfile.ZipFile(handle) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for part, kind in _OFFICE_PARTS.items() if part in names), None)


def _check_office(handle: BinaryIO, kind: DocumentKind) -> None:
    # Imported here: its XML parser is needed only where documents are checked (the checking processes,
    # whose fork server has it loaded already), not in every web worker that imports this module.
    from app.proposals.documents import office

    label = LABELS[kind]
    try:
        with zipfile.ZipFile(handle) as package:
            finding = office.find_hazard(package)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _office_unreadable(label) from exc
    if finding is None:
        return
    if finding.kind == "unreadable":
        raise _office_unreadable(label)
    reason, message, parameter = office.MESSAGES[finding.kind]
    params = {parameter: finding.detail} if parameter else {}
    raise DocumentRefused(message, reason=reason, kind=label, **params)


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
    with path.open("rb") as raw, mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as data:
        finding = pdf.find_hazard(data, data.find(b"%PDF-", 0, PDF_HEADER_WINDOW))  # type: ignore[arg-type]
    if finding is not None:
        raise _pdf_refused(finding)
    handle.seek(0)
    # Imported here: only the checking processes parse PDFs (the forkserver preloads it for them), and pypdf
    # costs a web worker 15 MB it never uses.
    from pypdf import PdfReader

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
    return pages


def _pdf_refused(finding: pdf.Finding) -> DocumentRefused:
    if finding.kind == "unreadable":
        return _pdf_unreadable()
    reason, message = pdf.MESSAGES[finding.kind]
    return DocumentRefused(message, reason=reason, found=finding.detail)


def _pdf_encrypted() -> DocumentRefused:
    return DocumentRefused(
        N_("The PDF file is encrypted or protected with a password. Upload it without protection."),
        reason="pdf_encrypted",
    )

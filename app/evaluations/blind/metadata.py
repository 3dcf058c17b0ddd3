"""Copies of documents without who made them: PDF document information and XMP, Office document properties.

Pure file-to-file functions, no database and no web. The copy stays a valid document of the same kind, and
the same input always gives the same bytes (so two processes making the copy at once store one blob).

- PDF: the document information dictionary (author, creator, producer, title, ...) goes, and so does every
  XMP metadata stream (of the document, its pages, images or fonts), the private data of the application that
  made it (``/PieceInfo``) and the author of every comment (``/T`` of markup annotations). The file identifier
  is replaced by one derived from the original's hash.
- Office Open XML (docx, xlsx): the property parts ``docProps/core.xml`` (creator, last modified by, title,
  subject, keywords, dates), ``docProps/app.xml`` (company, manager, application) and ``docProps/custom.xml``
  are replaced by empty ones, which the standard allows; every other part is copied unchanged, in a ZIP whose
  entries carry no times of their own. Nothing of the parts is parsed.
- Images: a PNG loses its text chunks (author, comment, software) and its EXIF and time chunks; a JPEG its EXIF
  and XMP (APP1), Photoshop/IPTC (APP13) and comment segments. Pixels, colour profiles and the rest stay.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    PdfObject,
)

_PDF_DROPPED_KEYS = (NameObject("/Metadata"), NameObject("/PieceInfo"))
_ANNOTATION_AUTHOR_KEYS = (NameObject("/T"),)
_XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Every property of these parts is optional (ECMA-376 part 2, 11; part 1, 22.2 and 22.3): empty parts are valid.
_EMPTY_PARTS = {
    "docProps/core.xml": _XML
    + b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
    b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"/>',
    "docProps/app.xml": _XML
    + b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>',
    "docProps/custom.xml": _XML
    + b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>',
}
CHUNK = 1024 * 1024
ZIP64_FROM = 2**31
# A fixed time for every entry of the copy's ZIP (the original's times say when and in which zone it was made).
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class MetadataNotRemoved(Exception):
    """The document could not be read well enough to make a copy without its metadata."""


def strip_metadata(source: Path, target: Path, *, kind: str, original_sha256: str) -> None:
    """Write to ``target`` a copy of the ``kind`` document at ``source`` without its metadata.

    Unknown kinds are copied as they are. Raises ``MetadataNotRemoved`` when the document cannot be
    rewritten: the caller must then not hand out the original instead.
    """
    try:
        if kind == "pdf":
            _strip_pdf(source, target, original_sha256)
        elif kind in ("docx", "xlsx"):
            _strip_office(source, target)
        elif kind == "png":
            _strip_png(source, target)
        elif kind == "jpeg":
            _strip_jpeg(source, target)
        else:
            shutil.copyfile(source, target)
    except MetadataNotRemoved:
        raise
    except Exception as error:  # a damaged file makes pypdf or zipfile raise many kinds of errors
        raise MetadataNotRemoved(str(error)) from error


def _strip_pdf(source: Path, target: Path, original_sha256: str) -> None:
    reader = PdfReader(source)
    if reader.is_encrypted:
        raise MetadataNotRemoved("encrypted")
    writer = PdfWriter(clone_from=reader)
    writer.metadata = None
    for obj in writer._objects:
        _scrub(obj)
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    digest = hashlib.sha256(b"blind:" + original_sha256.encode()).digest()
    writer._ID = ArrayObject([ByteStringObject(digest[:16]), ByteStringObject(digest[16:32])])
    with target.open("wb") as handle:
        writer.write(handle)


def _scrub(obj: PdfObject | None) -> None:
    if not isinstance(obj, DictionaryObject):
        return
    for key in _PDF_DROPPED_KEYS:
        obj.pop(key, None)
    if "/Rect" in obj and obj.get("/Subtype") not in (None, "/Widget"):  # a form field's /T is its name
        for key in _ANNOTATION_AUTHOR_KEYS:
            obj.pop(key, None)
    for value in obj.values():
        if isinstance(value, DictionaryObject):
            _scrub(value)
        elif isinstance(value, ArrayObject):
            for item in value:
                _scrub(item)


def _strip_office(source: Path, target: Path) -> None:
    with zipfile.ZipFile(source) as package, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in package.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            replacement = _EMPTY_PARTS.get(info.filename)
            if replacement is not None:
                copy.writestr(entry, replacement)
                continue
            # Streamed: a part may unpack to hundreds of megabytes (the upload check bounds the total).
            with package.open(info) as part, copy.open(entry, "w", force_zip64=info.file_size > ZIP64_FROM) as out:
                shutil.copyfileobj(part, out, CHUNK)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})
_JPEG_DROPPED = frozenset({0xE1, 0xED, 0xFE})  # APP1 (EXIF, XMP), APP13 (IPTC), COM


def _read_exactly(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise MetadataNotRemoved("truncated")
    return data


def _strip_png(source: Path, target: Path) -> None:
    with source.open("rb") as handle, target.open("wb") as out:
        if _read_exactly(handle, 8) != PNG_SIGNATURE:
            raise MetadataNotRemoved("not a PNG")
        out.write(PNG_SIGNATURE)
        while True:
            header = _read_exactly(handle, 8)
            length, kind = int.from_bytes(header[:4], "big"), header[4:]
            if kind in _PNG_DROPPED:
                handle.seek(length + 4, 1)
            else:
                out.write(header)
                _copy_exactly(handle, out, length + 4)
            if kind == b"IEND":
                return


def _strip_jpeg(source: Path, target: Path) -> None:
    with source.open("rb") as handle, target.open("wb") as out:
        if _read_exactly(handle, 2) != b"\xff\xd8":
            raise MetadataNotRemoved("not a JPEG")
        out.write(b"\xff\xd8")
        while True:
            marker = _read_exactly(handle, 2)
            if marker[0] != 0xFF:
                raise MetadataNotRemoved("not a JPEG marker")
            while marker[1] == 0xFF:  # fill bytes before a marker
                marker = b"\xff" + _read_exactly(handle, 1)
            if marker[1] in (0xD9, 0xDA):  # end of image, or start of scan: the image data follows as it is
                out.write(marker)
                shutil.copyfileobj(handle, out, CHUNK)
                return
            size = _read_exactly(handle, 2)
            length = int.from_bytes(size, "big")
            if length < 2:
                raise MetadataNotRemoved("bad segment length")
            if marker[1] in _JPEG_DROPPED:
                handle.seek(length - 2, 1)
            else:
                out.write(marker + size)
                _copy_exactly(handle, out, length - 2)


def _copy_exactly(handle: BinaryIO, out: BinaryIO, size: int) -> None:
    while size > 0:
        chunk = _read_exactly(handle, min(size, CHUNK))
        out.write(chunk)
        size -= len(chunk)

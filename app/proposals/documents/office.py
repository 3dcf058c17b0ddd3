"""What an Office Open XML package (docx, xlsx, pptx) could run or fetch, found without unpacking a zip bomb.

The package is bounded first from its central directory (number of entries, unpacked size, compression
ratio), and every part is read through ``zipfile``, which stops at the size the directory declares. XML is
parsed with defusedxml (no DTDs, no entities) a piece at a time, elements dropped as soon as they are read.

Refused: macros (``vbaProject.bin``, macro-enabled content types), relationships to anything outside the
package (remote templates, linked images and data), OLE objects and ActiveX controls, and dynamic data
exchange (DDE/DDEAUTO field codes in Word, ``ddeLink`` in Excel).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from app.i18n import N_

MAX_ENTRIES = 10_000
# An Office file's parts unpack to far less than this; more is a zip bomb aimed at whoever opens it.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
# Parts bigger than this may not be packed tighter than this ratio (XML packs about 10:1, zeros 1000:1).
RATIO_FROM_BYTES = 10 * 1024 * 1024
MAX_RATIO = 100
_CONTENT_TYPES = "[Content_Types].xml"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DDE = re.compile(r"(?<![A-Za-z])DDE(?:AUTO)?(?![A-Za-z])", re.IGNORECASE)
_OLE_RELATIONSHIPS = ("/oleObject", "/activeXControl", "/activeXControlBinary", "/control")
_MACRO_RELATIONSHIPS = ("/vbaProject", "/wordVbaData", "/keyMapCustomizations")
_OLE_CONTENT = ("activex", "oleobject", "ms-office.control")
_MACRO_CONTENT = ("macroenabled", "vbaproject", "vbadata")


@dataclass(frozen=True)
class Finding:
    """``entries``, ``unpacked``, ``ratio``, ``macros``, ``external``, ``ole``, ``dde`` or ``unreadable``."""

    kind: str
    detail: str


class _Found(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(kind)
        self.finding = Finding(kind, detail)


def find_hazard(package: zipfile.ZipFile) -> Finding | None:
    """The first thing in the package that is refused, or None."""
    try:
        _bounds(package.infolist())
        names = package.namelist()
        for name in names:
            _part_name(name)
        _content_types(package)
        for name in names:
            if name.endswith(".rels"):
                _relationships(package, name)
            elif name.startswith("word/") and name.endswith(".xml"):
                _word_fields(package, name)
            elif name.startswith("xl/externalLinks/") and name.endswith(".xml"):
                _excel_links(package, name)
    except _Found as found:
        return found.finding
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError) as exc:
        return Finding("unreadable", type(exc).__name__)
    return None


def _bounds(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise _Found("entries", str(MAX_ENTRIES))
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise _Found("unpacked", str(MAX_UNPACKED_BYTES // (1024 * 1024)))
    for info in infos:
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _Found("ratio", info.filename)


def _part_name(name: str) -> None:
    lowered = name.lower()
    if lowered.rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml"):
        raise _Found("macros", name)
    if "/activex/" in f"/{lowered}" or (("/embeddings/" in f"/{lowered}") and lowered.endswith(".bin")):
        raise _Found("ole", name)


def _elements(package: zipfile.ZipFile, name: str) -> Iterator[tuple[str, object]]:
    """``(event, element)`` of a part, parsed a piece at a time without DTDs or entities."""
    with package.open(name) as part:
        try:
            for event, element in iterparse(_Reader(part), events=("start", "end"), forbid_dtd=True):
                yield event, element
                if event == "end":
                    element.clear()
        except (DefusedXmlException, SyntaxError) as exc:
            raise _Found("unreadable", name) from exc


class _Reader:
    """A part as ``iterparse`` reads it (``read`` only)."""

    def __init__(self, part: IO[bytes]) -> None:
        self.part = part

    def read(self, size: int = -1) -> bytes:
        return self.part.read(64 * 1024 if size < 0 else size)


def _content_types(package: zipfile.ZipFile) -> None:
    for event, element in _elements(package, _CONTENT_TYPES):
        if event == "start":
            content_type = str(element.get("ContentType", "")).lower()  # type: ignore[attr-defined]
            if any(marker in content_type for marker in _MACRO_CONTENT):
                raise _Found("macros", content_type)
            if any(marker in content_type for marker in _OLE_CONTENT):
                raise _Found("ole", content_type)


def _relationships(package: zipfile.ZipFile, name: str) -> None:
    for event, element in _elements(package, name):
        if event != "start" or element.tag != f"{{{_RELATIONSHIPS}}}Relationship":  # type: ignore[attr-defined]
            continue
        kind = str(element.get("Type", ""))  # type: ignore[attr-defined]
        target = str(element.get("Target", ""))  # type: ignore[attr-defined]
        if str(element.get("TargetMode", "")).lower() == "external":  # type: ignore[attr-defined]
            raise _Found("external", target[:200])
        if kind.endswith(_MACRO_RELATIONSHIPS):
            raise _Found("macros", target[:200])
        if kind.endswith(_OLE_RELATIONSHIPS):
            raise _Found("ole", target[:200])


def _word_fields(package: zipfile.ZipFile, name: str) -> None:
    """Field codes, which Word may split over many runs: joined per field before they are read."""
    fields: list[list[str]] = []
    for event, element in _elements(package, name):
        tag = element.tag  # type: ignore[attr-defined]
        if tag == f"{{{_WORD}}}fldSimple" and event == "start":
            _field(str(element.get(f"{{{_WORD}}}instr", "")))  # type: ignore[attr-defined]
        elif tag == f"{{{_WORD}}}fldChar" and event == "start":
            kind = element.get(f"{{{_WORD}}}fldCharType")  # type: ignore[attr-defined]
            if kind == "begin":
                fields.append([])
            elif kind in ("separate", "end") and fields:
                _field("".join(fields.pop() if kind == "end" else fields[-1]))
        elif tag == f"{{{_WORD}}}instrText" and event == "end" and fields:
            fields[-1].append(element.text or "")  # type: ignore[attr-defined]
            if sum(len(piece) for piece in fields[-1]) > 64 * 1024:
                _field("".join(fields[-1]))
                fields[-1].clear()
    for pieces in fields:
        _field("".join(pieces))


def _field(instruction: str) -> None:
    if _DDE.search(instruction):
        raise _Found("dde", instruction.strip()[:80])


def _excel_links(package: zipfile.ZipFile, name: str) -> None:
    for event, element in _elements(package, name):
        if event == "start" and element.tag == f"{{{_SPREADSHEET}}}ddeLink":  # type: ignore[attr-defined]
            raise _Found("dde", str(element.get("ddeService", "")))  # type: ignore[attr-defined]


# What was found -> the refusal's reason code, its message and the name of the parameter that says what.
MESSAGES: dict[str, tuple[str, str, str]] = {
    "entries": (
        "office_unpacked_size",
        N_("The %(kind)s file holds more than %(found)s parts, which is not accepted."),
        "found",
    ),
    "unpacked": (
        "office_unpacked_size",
        N_("The %(kind)s file unpacks to more than %(limit)s MB, which is not accepted."),
        "limit",
    ),
    "ratio": (
        "office_unpacked_size",
        N_("The %(kind)s file has a part (%(found)s) packed far tighter than a document is, which is not accepted."),
        "found",
    ),
    "macros": (
        "office_macros",
        N_("The %(kind)s file contains macros. Save it without macros and upload it again."),
        "",
    ),
    "external": (
        "office_external",
        N_(
            "The %(kind)s file refers to something outside itself (%(found)s): a remote template, a linked image "
            "or linked data, which is not accepted. Embed or remove it, save the file and upload it again."
        ),
        "found",
    ),
    "ole": (
        "office_ole",
        N_(
            "The %(kind)s file contains an embedded object or control (OLE or ActiveX: %(found)s), which is not "
            "accepted. Remove it, save the file and upload it again."
        ),
        "found",
    ),
    "dde": (
        "office_dde",
        N_(
            "The %(kind)s file contains a DDE field or link (%(found)s), which can start other programs and is "
            "not accepted. Remove it, save the file and upload it again."
        ),
        "found",
    ),
}

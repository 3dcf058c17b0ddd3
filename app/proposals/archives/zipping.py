"""ZIP files written to a temporary file on disk, entry by entry, so memory stays bounded whatever is inside.

Entry names never come raw from a user: ``EntryNames`` turns any name into one safe path segment (no
directory parts, no ``..``, no control or reserved characters, bounded length) and keeps every name unique.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, BinaryIO

CHUNK = 256 * 1024
MAX_SEGMENT = 80
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_segment(name: str, *, fallback: str = "file") -> str:
    """One path segment from any text: letters, digits, ``.``, ``-``, ``_`` and spaces only, never hidden, never
    ``.`` or ``..``, never a Windows device name, at most 80 characters with the extension kept."""
    text = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _UNSAFE.sub("_", text).strip(" ._")
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem or len(extension) > 10:
        stem, extension = text, ""
    if not stem or stem.split(".")[0].lower() in _RESERVED:
        stem = f"{fallback}_{stem}" if stem else fallback
    extension = f".{extension}" if extension else ""
    return stem[: MAX_SEGMENT - len(extension)].rstrip(" ._") + extension


class EntryNames:
    """Unique, safe entry paths inside one archive: a second ``brief.pdf`` in a folder becomes ``brief (2).pdf``."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def add(self, *parts: str) -> str:
        folders = [safe_segment(part, fallback="folder") for part in parts[:-1]]
        leaf = safe_segment(parts[-1])
        stem, dot, extension = leaf.rpartition(".")
        if not dot:
            stem, extension = leaf, ""
        candidate, number = leaf, 1
        while "/".join([*folders, candidate]).lower() in self._taken:
            number += 1
            candidate = f"{stem} ({number})" + (f".{extension}" if extension else "")
        path = "/".join([*folders, candidate])
        self._taken.add(path.lower())
        return path


class ArchiveWriter:
    """Writes entries into a ZIP on disk; ``names`` hands out the safe unique paths."""

    def __init__(self, target: IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.names = EntryNames()

    def add_bytes(self, *parts: str, data: bytes) -> str:
        path = self.names.add(*parts)
        self._zip.writestr(path, data)
        return path

    def add_text(self, *parts: str, text: str) -> str:
        return self.add_bytes(*parts, data=text.encode("utf-8"))

    def add_chunks(self, *parts: str, chunks: Iterable[bytes]) -> str:
        """An entry written piece by piece (a long list of records never held whole)."""
        path = self.names.add(*parts)
        with self._zip.open(path, "w", force_zip64=True) as entry:
            for chunk in chunks:
                entry.write(chunk)
        return path

    def add_stream(self, *parts: str, source: BinaryIO) -> str:
        """Copied in chunks: a large document never sits in memory whole."""
        path = self.names.add(*parts)
        with self._zip.open(path, "w", force_zip64=True) as entry:
            while chunk := source.read(CHUNK):
                entry.write(chunk)
        return path

    def add_archive(self, *parts: str, source: BinaryIO) -> str:
        """A finished archive as one stored entry (already compressed)."""
        path = self.names.add(*parts)
        info = zipfile.ZipInfo(path)
        info.compress_type = zipfile.ZIP_STORED
        with self._zip.open(info, "w", force_zip64=True) as entry:
            while chunk := source.read(CHUNK):
                entry.write(chunk)
        return path

    def close(self) -> None:
        self._zip.close()


@contextmanager
def spooled_archive() -> Iterator[tuple[ArchiveWriter, BinaryIO]]:
    """A writer into an anonymous temporary file (gone once closed); the file is rewound for reading after the
    block. The caller closes the file, for instance once a response has streamed it."""
    handle = tempfile.TemporaryFile(prefix="portal-archive-")  # noqa: SIM115 - handed to the caller
    writer = ArchiveWriter(handle)
    try:
        yield writer, handle
        writer.close()
        handle.seek(0)
    except BaseException:
        handle.close()
        raise


def stream_file(handle: BinaryIO) -> Iterator[bytes]:
    """The file's bytes in chunks, closing (and so deleting) it at the end or when the client goes away."""
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()

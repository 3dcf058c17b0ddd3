"""The blob store: files named by their SHA-256 in a local folder, behind a small interface.

A file is written to a temporary name inside the store, synced, then renamed into place and the folder
synced, so a blob that exists is complete. Callers store the blob before committing any row that points
to it. An S3-compatible store can replace ``LocalBlobStore`` by offering the same methods.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


# A hold older than this is taken for one left behind by a backup that crashed, and no longer keeps blobs.
HOLD_MAX_SECONDS = 12 * 3600


class BlobStore(Protocol):
    def temporary_file(self) -> AbstractContextManager[tuple[Path, BinaryIO]]: ...

    def put(self, source: Path, *, sha256: str) -> None: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...

    def put_bytes(self, data: bytes) -> str: ...

    def verify(self, sha256: str) -> bool: ...


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


PRIVATE_UMASK = 0o077
"""The portal's processes create files readable by their own user only (documents, mail, the database)."""


def make_private_dir(path: Path) -> None:
    """A folder (and any missing parents) only the portal's user can enter, created that way."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the portal's user only: created with mode 0600, never wider for a moment."""
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # a file that was already there keeps no wider mode
        handle.write(data)


class LocalBlobStore:
    """Blobs under ``root/ab/cd/abcd...``; temporary files under ``root/tmp`` (same file system, atomic rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    @contextmanager
    def temporary_file(self) -> Iterator[tuple[Path, BinaryIO]]:
        """A new empty file in the store's temporary folder, removed afterwards unless ``put`` moved it."""
        make_private_dir(self.tmp)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        path = Path(name)
        handle = os.fdopen(fd, "w+b")
        try:
            yield path, handle
        finally:
            handle.close()
            path.unlink(missing_ok=True)

    def put(self, source: Path, *, sha256: str) -> None:
        """Move (or copy) ``source`` into place under its hash, synced; a blob already there is kept."""
        target = self._path(sha256)
        if target.exists():
            # Young again: ``portal blobs gc`` spares files younger than its grace period, so a row about to
            # point to this blob does not lose it to a collection that found it unreferenced a moment ago.
            with contextlib.suppress(FileNotFoundError):
                os.utime(target)
            if target.exists():
                return
        make_private_dir(target.parent)
        with source.open("rb") as handle:
            os.fsync(handle.fileno())
        if source.parent.resolve() == self.tmp.resolve():
            os.replace(source, target)
        else:
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as copy, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    copy.write(chunk)
                copy.flush()
                os.fsync(copy.fileno())
            os.replace(copy.name, target)
        _fsync_dir(target.parent)

    def put_bytes(self, data: bytes) -> str:
        """Store bytes (small files: tests, generated documents); returns the hash."""
        sha256 = hashlib.sha256(data).hexdigest()
        with self.temporary_file() as (path, handle):
            handle.write(data)
            handle.flush()
            self.put(path, sha256=sha256)
        return sha256

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        return self._path(sha256).stat().st_size

    def delete(self, sha256: str) -> bool:
        """Remove a blob; kept (False) while a backup holds the store, so the backup finds what its rows name."""
        if self.held():
            return False
        self._path(sha256).unlink(missing_ok=True)
        return True

    # --- listing, and holding deletions while a backup copies ------------------------------------------

    def iter_blobs(self) -> Iterator[tuple[str, Path]]:
        """Every stored blob as (name, path); temporary and hold files are not blobs."""
        for first in sorted(self.root.glob("[0-9a-f][0-9a-f]")):
            for path in sorted(first.glob("[0-9a-f][0-9a-f]/*")):
                name = path.name
                if path.is_file() and len(name) == 64 and all(c in "0123456789abcdef" for c in name):
                    yield name, path

    def path_of(self, sha256: str) -> Path:
        return self._path(sha256)

    @property
    def holds(self) -> Path:
        return self.root / "holds"

    def held(self) -> bool:
        """Whether a backup younger than ``HOLD_MAX_SECONDS`` holds the store (one left by a crash expires)."""
        if not self.holds.is_dir():
            return False
        oldest_alive = time.time() - HOLD_MAX_SECONDS
        for path in self.holds.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime >= oldest_alive:
                    return True
        return False

    @contextmanager
    def hold(self) -> Iterator[None]:
        """No blob is deleted while the block runs (by any process on this store): a backup copies safely."""
        make_private_dir(self.holds)
        fd, name = tempfile.mkstemp(dir=self.holds, prefix="backup-")
        os.close(fd)
        try:
            yield
        finally:
            Path(name).unlink(missing_ok=True)

    def verify(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to their name."""
        path = self._path(sha256)
        return path.is_file() and file_sha256(path) == sha256

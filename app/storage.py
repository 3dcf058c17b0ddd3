"""The blob store: files named by their SHA-256 in a local folder, behind a small interface.

A file is written to a temporary name inside the store, synced, then renamed into place and the folder
synced, so a blob that exists is complete. Callers store the blob before committing any row that points
to it. An S3-compatible store can replace ``LocalBlobStore`` by offering the same methods.

A file system without space left (or a quota used up) raises ``StorageFull``, a domain error with a message
for the user, and leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from app.errors import DomainError
from app.i18n import N_

CHUNK = 1024 * 1024

NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
"""The errors of a file system that has no room left for the portal: the disk is full or the quota used up."""


class StorageFull(DomainError):
    """The blob store's file system has no space left; nothing of the file was kept."""

    message = N_(
        "The document could not be stored: the portal's storage is full. Nothing was stored. Please try again later."
    )


@contextmanager
def refusing_when_full() -> Iterator[None]:
    """Turn "no space left on device" (or "disk quota exceeded") inside the block into ``StorageFull``."""
    try:
        yield
    except OSError as error:
        if error.errno in NO_SPACE:
            raise StorageFull() from error
        raise


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

    def remove_abandoned(self) -> int: ...


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


def _copy_into_place(source: Path, target: Path) -> None:
    """Copy ``source`` to a temporary name next to ``target``, synced, then rename it into place; the
    temporary copy goes if anything fails (a disk that fills up half-way)."""
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as copy:
        try:
            with source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    copy.write(chunk)
            copy.flush()
            os.fsync(copy.fileno())
        except BaseException:
            Path(copy.name).unlink(missing_ok=True)
            raise
    os.replace(copy.name, target)


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
        with refusing_when_full():
            make_private_dir(self.tmp)
            fd, name = tempfile.mkstemp(dir=self.tmp, prefix=f"upload-{os.getpid()}.{_HOST}-")
        path = Path(name)
        handle = os.fdopen(fd, "w+b")
        try:
            yield path, handle
        finally:
            # After a write that found the disk full, closing tries to write the rest of the buffer and fails
            # the same way; the file is removed either way (whatever ``put`` needed was flushed and synced).
            with contextlib.suppress(OSError):
                handle.close()
            path.unlink(missing_ok=True)

    def put(self, source: Path, *, sha256: str) -> None:
        """Move (or copy) ``source`` into place under its hash, synced; a blob already there is kept.

        Raises ``StorageFull`` when the file system has no room, with no partial file left in the store."""
        target = self._path(sha256)
        if target.exists():
            # Young again: ``portal blobs gc`` spares files younger than its grace period, so a row about to
            # point to this blob does not lose it to a collection that found it unreferenced a moment ago.
            with contextlib.suppress(FileNotFoundError):
                os.utime(target)
            if target.exists():
                return
        with refusing_when_full():
            make_private_dir(target.parent)
            with source.open("rb") as handle:
                os.fsync(handle.fileno())
            if source.parent.resolve() == self.tmp.resolve():
                os.replace(source, target)
            else:
                _copy_into_place(source, target)
            _fsync_dir(target.parent)

    def put_bytes(self, data: bytes) -> str:
        """Store bytes (small files: tests, generated documents); returns the hash."""
        sha256 = hashlib.sha256(data).hexdigest()
        with self.temporary_file() as (path, handle):
            with refusing_when_full():
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

    def remove_abandoned(self) -> int:
        """Remove the temporary files of processes on this host that have ended without removing them (a worker
        killed in the middle of an upload); returns how many. A temporary file's name carries its writer's
        process id and host, so files being written, here or by another host sharing the folder, stay."""
        if not self.tmp.is_dir():
            return 0
        removed = 0
        for path in self.tmp.iterdir():
            writer = _writer_of(path.name)
            if writer is not None and writer[1] == _HOST and not _running(writer[0]):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


# Host names may hold dots but no slashes; the temporary file's random part never holds a dash.
_HOST = socket.gethostname().replace("/", "_").replace("-", "_") or "localhost"


def _writer_of(name: str) -> tuple[int, str] | None:
    """(process id, host) from a temporary file's name ``upload-<pid>.<host>-<random>``."""
    head, dash, _random = name.rpartition("-")
    if not dash or not head.startswith("upload-"):
        return None
    pid, dot, host = head.removeprefix("upload-").partition(".")
    return (int(pid), host) if dot and pid.isdigit() else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, and someone else's
        return True
    return True

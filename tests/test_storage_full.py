"""The blob store on a full disk: ``StorageFull`` (a message for the user), and no partial file left behind."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app import i18n
from app.storage import LocalBlobStore, StorageFull


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _no_space(*_args: Any, **_kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_put_refuses_with_storage_full_when_the_move_finds_no_room(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "replace", _no_space)
    with pytest.raises(StorageFull), store.temporary_file() as (path, handle):
        handle.write(b"a brief")
        handle.flush()
        store.put(path, sha256=hashlib.sha256(b"a brief").hexdigest())
    assert _files(store.root) == []


def test_put_of_a_file_outside_the_store_leaves_no_partial_copy_when_the_disk_fills(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "generated.pdf"
    source.write_bytes(b"a generated document")
    real_fsync = os.fsync
    calls = 0

    def fsync(fd: int) -> None:  # the source is synced first; the copy finds the disk full
        nonlocal calls
        calls += 1
        if calls > 1:
            _no_space()
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(StorageFull):
        store.put(source, sha256=hashlib.sha256(source.read_bytes()).hexdigest())
    assert _files(store.root) == []


def test_put_bytes_refuses_with_storage_full_and_removes_its_temporary_file(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_bytes(b"made before the disk filled")
    monkeypatch.setattr(os, "replace", _no_space)
    with pytest.raises(StorageFull):
        store.put_bytes(b"made after")
    assert list(store.tmp.iterdir()) == []


def test_other_write_errors_are_not_taken_for_a_full_disk(
    store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*_args: Any, **_kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", denied)
    with pytest.raises(PermissionError):
        store.put_bytes(b"a brief")


def test_storage_full_says_so_in_dutch_and_english() -> None:
    assert i18n.translate("nl", StorageFull.message).startswith("Het document kon niet worden opgeslagen")
    assert i18n.translate("en", StorageFull.message).startswith("The document could not be stored")


def _ended_process_id() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_remove_abandoned_takes_only_the_temporary_files_of_ended_processes_on_this_host(
    store: LocalBlobStore,
) -> None:
    with store.temporary_file() as (own, _handle):
        host = own.name.rpartition("-")[0].partition(".")[2]
        killed = store.tmp / f"upload-{_ended_process_id()}.{host}-abc123"
        elsewhere = store.tmp / f"upload-{_ended_process_id()}.another_host-abc123"
        for path in (killed, elsewhere):
            path.write_bytes(b"half an upload")
        assert store.remove_abandoned() == 1
        assert sorted(store.tmp.iterdir()) == sorted([own, elsewhere])

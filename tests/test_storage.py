"""The local blob store: content-addressed, synced before it counts, never a path from outside."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from app.storage import LocalBlobStore, file_sha256


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_bytes_stores_under_the_hash_in_two_levels(store: LocalBlobStore) -> None:
    sha256 = store.put_bytes(b"proposal")
    assert sha256 == digest(b"proposal")
    assert (store.root / sha256[:2] / sha256[2:4] / sha256).read_bytes() == b"proposal"
    assert store.exists(sha256) is True
    assert store.size(sha256) == 8
    with store.open(sha256) as handle:
        assert handle.read() == b"proposal"
    assert list(store.tmp.iterdir()) == []


def test_temporary_file_moves_into_place_with_put(store: LocalBlobStore) -> None:
    with store.temporary_file() as (path, handle):
        assert path.parent == store.tmp
        handle.write(b"streamed")
        handle.flush()
        store.put(path, sha256=digest(b"streamed"))
        assert not path.exists()
    assert store.verify(digest(b"streamed")) is True
    assert list(store.tmp.iterdir()) == []


def test_temporary_file_is_removed_when_not_put(store: LocalBlobStore) -> None:
    with store.temporary_file() as (path, handle):
        handle.write(b"abandoned")
    assert not path.exists()
    assert list(store.tmp.iterdir()) == []


def test_temporary_file_is_removed_when_the_block_raises(store: LocalBlobStore) -> None:
    with pytest.raises(RuntimeError), store.temporary_file() as (path, handle):
        handle.write(b"half")
        raise RuntimeError("refused")
    assert not path.exists()
    assert list(store.tmp.iterdir()) == []


def test_put_keeps_a_blob_already_stored_and_leaves_no_temporary_file(store: LocalBlobStore) -> None:
    sha256 = store.put_bytes(b"same")
    first = (store.root / sha256[:2] / sha256[2:4] / sha256).stat().st_ino
    assert store.put_bytes(b"same") == sha256
    assert (store.root / sha256[:2] / sha256[2:4] / sha256).stat().st_ino == first
    assert list(store.tmp.iterdir()) == []


def test_put_copies_a_file_from_outside_the_store(store: LocalBlobStore, tmp_path: Path) -> None:
    source = tmp_path / "outside.pdf"
    source.write_bytes(b"%PDF-1.7 outside")
    store.put(source, sha256=digest(b"%PDF-1.7 outside"))
    assert source.read_bytes() == b"%PDF-1.7 outside"
    assert store.verify(digest(b"%PDF-1.7 outside")) is True


def test_put_syncs_the_file_and_its_folder(store: LocalBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    sha256 = store.put_bytes(b"synced")
    target = store.root / sha256[:2] / sha256[2:4] / sha256
    assert synced[0].startswith(str(store.tmp.resolve()))
    assert synced[-1] == str(target.parent.resolve())


def test_verify_notices_changed_bytes(store: LocalBlobStore) -> None:
    sha256 = store.put_bytes(b"original")
    (store.root / sha256[:2] / sha256[2:4] / sha256).write_bytes(b"tampered")
    assert store.verify(sha256) is False


def test_verify_and_exists_answer_false_for_a_missing_blob(store: LocalBlobStore) -> None:
    assert store.exists(digest(b"never")) is False
    assert store.verify(digest(b"never")) is False


def test_delete_removes_a_blob_and_tolerates_a_missing_one(store: LocalBlobStore) -> None:
    sha256 = store.put_bytes(b"gone")
    store.delete(sha256)
    store.delete(sha256)
    assert store.exists(sha256) is False


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "a" * 63, "A" * 64, "g" * 64, "../" + "a" * 61, ""],
    ids=["traversal", "short", "upper-case", "not-hex", "traversal-64", "empty"],
)
def test_store_refuses_a_name_that_is_not_a_sha256(store: LocalBlobStore, name: str) -> None:
    for call in (store.open, store.exists, store.verify, store.delete, store.size):
        with pytest.raises(ValueError, match="not a SHA-256"):
            call(name)


def test_file_sha256_hashes_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    data = os.urandom(3 * 1024 * 1024 + 17)
    path.write_bytes(data)
    assert file_sha256(path) == digest(data)


def test_storing_a_blob_again_makes_it_young_for_the_collector(store: LocalBlobStore) -> None:
    sha256 = store.put_bytes(b"again")
    path = store.path_of(sha256)
    os.utime(path, (1_000_000, 1_000_000))
    store.put_bytes(b"again")
    assert path.stat().st_mtime > 1_000_000


def test_a_hold_keeps_blobs_from_deletion_until_it_ends(store: LocalBlobStore) -> None:
    sha256 = store.put_bytes(b"held")
    with store.hold():
        assert store.held() is True
        assert store.delete(sha256) is False
        assert store.exists(sha256) is True
    assert store.held() is False
    assert store.delete(sha256) is True
    assert store.exists(sha256) is False


def test_a_hold_left_by_a_crashed_backup_expires(store: LocalBlobStore) -> None:
    from app.storage import HOLD_MAX_SECONDS

    store.holds.mkdir(parents=True)
    stale = store.holds / "backup-crashed"
    stale.write_bytes(b"")
    os.utime(stale, (0, 0))
    assert HOLD_MAX_SECONDS < 1e9
    assert store.held() is False


def test_iter_blobs_lists_stored_blobs_only(store: LocalBlobStore) -> None:
    first, second = store.put_bytes(b"one"), store.put_bytes(b"two")
    with store.hold(), store.temporary_file():
        assert sorted(sha for sha, _ in store.iter_blobs()) == sorted([first, second])

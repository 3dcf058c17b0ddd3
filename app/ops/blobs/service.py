"""The blob store against the rows that name its files: which rows lack their file, which files no row names.

Rows that name a blob: ``blob`` (what was stored), ``proposal_document`` (working copies),
``proposal_version_document`` (submitted versions), ``blind_document`` (copies without metadata) and
``proposition`` (the optional document of a proposition without a challenge; its ``blob`` row keeps it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, union
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.evaluations.blind.models import BlindDocument
from app.proposals.models import Blob, ProposalDocument, ProposalVersionDocument
from app.proposals.propositions.models import Proposition
from app.storage import LocalBlobStore, file_sha256


def referenced_blobs(connection: Connection | Session) -> set[str]:
    """Every SHA-256 that some row names."""
    query: Any = union(  # the columns are str and str | None: one union for the type checker too
        select(Blob.sha256),
        select(ProposalDocument.sha256),
        select(ProposalVersionDocument.sha256),
        select(BlindDocument.sha256),
        select(Proposition.document_sha256).where(Proposition.document_sha256.is_not(None)),
    )
    return {str(sha) for sha in connection.execute(query).scalars()}


def _rows(session: Session) -> Iterator[tuple[str, str]]:
    """(row description, SHA-256) for every row that names a blob."""
    for sha in session.scalars(select(Blob.sha256).order_by(Blob.sha256)):
        yield f"blob {sha}", sha
    for row in session.execute(
        select(ProposalDocument.proposal_id, ProposalDocument.question_key, ProposalDocument.sha256).order_by(
            ProposalDocument.id
        )
    ):
        yield f"proposal {row.proposal_id} working copy, document {row.question_key}", row.sha256
    for row in session.execute(
        select(
            ProposalVersionDocument.version_id, ProposalVersionDocument.question_key, ProposalVersionDocument.sha256
        ).order_by(ProposalVersionDocument.version_id, ProposalVersionDocument.question_key)
    ):
        yield f"proposal version {row.version_id}, document {row.question_key}", row.sha256
    for blind in session.scalars(select(BlindDocument).order_by(BlindDocument.original_sha256)):
        yield f"blind copy of {blind.original_sha256}", blind.sha256
    for proposition in session.scalars(
        select(Proposition).where(Proposition.document_sha256.is_not(None)).order_by(Proposition.id)
    ):
        yield f"proposition {proposition.id}, document", str(proposition.document_sha256)


@dataclass
class CheckResult:
    rows: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_blobs(session: Session, *, store: LocalBlobStore) -> CheckResult:
    """Rows whose file is missing or whose file no longer hashes to its name (each file hashed once)."""
    result = CheckResult()
    verdicts: dict[str, str | None] = {}
    for description, sha in _rows(session):
        result.rows += 1
        if sha not in verdicts:
            verdicts[sha] = _file_problem(store, sha)
        if verdicts[sha] is not None:
            result.problems.append(f"{description}: {verdicts[sha]} ({sha})")
    result.files = len(verdicts)
    return result


def _file_problem(store: LocalBlobStore, sha: str) -> str | None:
    try:
        path = store.path_of(sha)
    except ValueError:
        return "not a SHA-256"
    if not path.is_file():
        return "file missing"
    if file_sha256(path) != sha:
        return "file changed: its bytes no longer hash to its name"
    return None


@dataclass
class GcResult:
    removed: list[str] = field(default_factory=list)
    removed_bytes: int = 0
    young: int = 0
    referenced: int = 0
    kept_by_backup: int = 0
    temporary_removed: int = 0


def collect_garbage(
    session: Session,
    *,
    store: LocalBlobStore,
    grace_seconds: float,
    dry_run: bool,
    actor: Actor,
    now: datetime,
) -> GcResult:
    """Remove files no row names that are older than the grace period, and upload leftovers as old.

    The files are listed before the rows are read, and each file's age is looked at again just before it
    goes: a file stored (or stored again, which makes it young) by an upload whose row is not committed yet
    is young and stays. Audited as ``blobs.gc`` unless nothing went or ``dry_run``. The caller commits.
    """
    result = GcResult()
    oldest = time.time() - grace_seconds
    files = list(store.iter_blobs())
    referenced = referenced_blobs(session)
    for sha, path in files:
        if sha in referenced:
            result.referenced += 1
        elif not _older_than(path, oldest):
            result.young += 1
        elif dry_run:
            result.removed.append(sha)
            result.removed_bytes += _size(path)
        else:
            size = _size(path)
            if store.delete(sha):
                result.removed.append(sha)
                result.removed_bytes += size
            else:
                result.kept_by_backup += 1
    result.temporary_removed = _old_temporaries(store, oldest, dry_run=dry_run)
    if result.removed and not dry_run:
        record_event(
            session,
            actor=actor,
            action="blobs.gc",
            object_type="blob_store",
            object_id="documents",
            at=now,
            data={
                "removed": len(result.removed),
                "bytes": result.removed_bytes,
                "grace_seconds": int(grace_seconds),
                "sha256": result.removed[:200],
            },
        )
    return result


def _older_than(path: os.PathLike[str], oldest: float) -> bool:
    try:
        return os.stat(path).st_mtime < oldest
    except FileNotFoundError:
        return False


def _size(path: os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def _old_temporaries(store: LocalBlobStore, oldest: float, *, dry_run: bool) -> int:
    """Upload files left in the temporary folder by a process that died mid-upload."""
    if not store.tmp.is_dir() or store.held():
        return 0
    removed = 0
    for path in store.tmp.iterdir():
        if path.is_file() and _older_than(path, oldest):
            if not dry_run:
                path.unlink(missing_ok=True)
            removed += 1
    return removed

"""What a backup holds, written as ``manifest.json`` beside the database dump and the documents.

Every figure is read from the database snapshot the dump holds, never from the live database after it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, inspect, select, table
from sqlalchemy.orm import Session

from app import migrate
from app.audit.service import ChainHead, chain_head
from app.ops.blobs.service import referenced_blobs
from app.storage import write_private

FORMAT = "portal-backup/1"
MANIFEST = "manifest.json"
BLOB_FOLDER = "blobs"


@dataclass
class Snapshot:
    """The figures of one database state: rows per table, the audit head, the schema revision, blobs named."""

    tables: dict[str, int]
    audit_head: ChainHead
    revision: str | None
    blobs: set[str]


def read_snapshot(connection: Connection) -> Snapshot:
    """The figures of what ``connection`` sees (inside the snapshot's transaction)."""
    names = sorted(name for name in inspect(connection).get_table_names() if not name.startswith("sqlite_"))
    tables = {name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0) for name in names}
    with Session(bind=connection) as session:
        head = chain_head(session)
    return Snapshot(
        tables=tables,
        audit_head=head,
        revision=migrate.current_revision(connection),
        blobs=referenced_blobs(connection),
    )


@dataclass
class Manifest:
    created_at: str
    dialect: str
    database_file: str
    schema: str | None
    revision: str | None
    audit_head: str
    tables: dict[str, int]
    files: dict[str, str]
    blobs: list[str]
    missing_blobs: list[str] = field(default_factory=list)
    format: str = FORMAT

    def write(self, folder: Path) -> None:
        text = json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"
        write_private(folder / MANIFEST, text.encode())

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of a backup folder; ValueError with a sentence when it is not one."""
        path = folder / MANIFEST
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise ValueError(f"{folder} holds no {MANIFEST}: not a backup made by `portal backup`") from error
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} cannot be read: {error}") from error
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{path} is not a manifest of the format {FORMAT}")
        try:
            return cls(**data)
        except TypeError as error:
            raise ValueError(f"{path} is not a complete manifest: {error}") from error


def blob_path(sha256: str) -> str:
    """Where a document sits inside the backup folder (the store's own two-level layout)."""
    return f"{BLOB_FOLDER}/{sha256[:2]}/{sha256[2:4]}/{sha256}"

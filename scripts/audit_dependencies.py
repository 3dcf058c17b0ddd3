"""Scan the pinned dependencies against an advisory database on disk: ``make audit ADVISORY_DB=path``.

The database is OSV's PyPI export (``PyPI/all.zip`` from https://osv-vulnerabilities.storage.googleapis.com,
or a folder of its ``*.json`` records, such as a checkout of the PyPA advisory database converted to JSON).
Online scanners cannot reach their data from machines without internet access and then report "no known
vulnerabilities"; this scan never passes without data: no database, an unreadable one or one without a
single PyPI record is a failure, said loudly.

Exit status: 0 nothing known affects the pinned versions; 1 at least one advisory does; 2 no usable database.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    summary: str


def pinned(lock: Path) -> dict[str, str]:
    """Package name (normalised) -> pinned version, from a requirements file with ``name==version`` lines."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line.strip()):
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def records(database: Path) -> Iterator[dict[str, Any]]:
    """Every OSV record in a zip export or a folder of JSON files."""
    if database.is_file() and zipfile.is_zipfile(database):
        with zipfile.ZipFile(database) as archive:
            for name in archive.namelist():
                if name.endswith(".json"):
                    yield json.loads(archive.read(name))
    elif database.is_dir():
        for path in sorted(database.rglob("*.json")):
            yield json.loads(path.read_text(encoding="utf-8"))
    else:
        raise FileNotFoundError(database)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict[str, str]]) -> bool:
    """OSV ECOSYSTEM range semantics: affected from each ``introduced`` up to a ``fixed`` (excluded) or a
    ``last_affected`` (included)."""
    affected = False
    ordered = sorted(
        (
            (kind, _version(value) if value != "0" else Version("0"))
            for event in events
            for kind, value in event.items()
        ),
        key=lambda item: item[1] or Version("0"),
    )
    for kind, bound in ordered:
        if bound is None:
            continue
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def affects(record: dict[str, Any], package: str, pinned_version: str) -> bool:
    """Whether an OSV record covers this PyPI package at this version (withdrawn records never do)."""
    if record.get("withdrawn"):
        return False
    version = _version(pinned_version)
    for affected in record.get("affected", []):
        target = affected.get("package", {})
        if target.get("ecosystem") != "PyPI" or canonicalize_name(target.get("name", "")) != package:
            continue
        if pinned_version in affected.get("versions", []):
            return True
        for span in affected.get("ranges", []):
            if version is not None and span.get("type") == "ECOSYSTEM" and _in_range(version, span.get("events", [])):
                return True
    return False


def scan(lock: Path, database: Path) -> tuple[list[Finding], int]:
    """The findings and the number of PyPI records read (0 means the database holds nothing to scan with)."""
    pins = pinned(lock)
    findings, seen = [], 0
    for record in records(database):
        packages = {
            canonicalize_name(a.get("package", {}).get("name", ""))
            for a in record.get("affected", [])
            if a.get("package", {}).get("ecosystem") == "PyPI"
        }
        seen += bool(packages)
        for package in sorted(packages & pins.keys()):
            if affects(record, package, pins[package]):
                summary = str(record.get("summary") or record.get("details", ""))[:200]
                findings.append(Finding(package, pins[package], str(record.get("id")), summary))
    return findings, seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lock", type=Path, help="the requirements file with pinned versions")
    parser.add_argument("--db", default="", help="OSV PyPI export: all.zip or a folder of JSON records")
    args = parser.parse_args(argv)
    if not args.db:
        print("!!! NO ADVISORY DATABASE GIVEN (make audit ADVISORY_DB=path): NOTHING WAS SCANNED !!!", file=sys.stderr)
        return 2
    try:
        findings, seen = scan(args.lock, Path(args.db))
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        print(f"!!! THE ADVISORY DATABASE {args.db} CANNOT BE READ ({error}): NOTHING WAS SCANNED !!!", file=sys.stderr)
        return 2
    if seen == 0:
        print(f"!!! {args.db} HOLDS NO PyPI ADVISORIES: NOTHING WAS SCANNED !!!", file=sys.stderr)
        return 2
    for finding in findings:
        print(f"{finding.package} {finding.version}: {finding.advisory} {finding.summary}")
    print(f"audit packages={len(pinned(args.lock))} advisories_read={seen} findings={len(findings)}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

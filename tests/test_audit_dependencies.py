"""``make audit``: the pinned dependencies scanned against an advisory database on disk; never a pass without one."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "audit_dependencies.py"


def _lock(tmp_path: Path) -> Path:
    lock = tmp_path / "requirements.lock"
    lock.write_text("# pinned\nJinja2==3.1.4 \\\n    --hash=sha256:abc\nfastapi==0.115.0\n", encoding="utf-8")
    return lock


def _record(identifier: str, name: str, events: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "id": identifier,
        "summary": f"summary of {identifier}",
        "affected": [
            {"package": {"ecosystem": "PyPI", "name": name}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}
        ],
        **extra,
    }


def _zip(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)


def test_a_pinned_version_inside_an_advisory_range_fails_the_audit(tmp_path: Path) -> None:
    database = _zip(
        tmp_path,
        [
            _record("PYSEC-1", "jinja2", [{"introduced": "0"}, {"fixed": "3.1.5"}]),  # 3.1.4 is affected
            _record("PYSEC-2", "jinja2", [{"introduced": "0"}, {"fixed": "3.1.3"}]),  # fixed before the pin
            _record("PYSEC-3", "fastapi", [{"introduced": "0.100"}, {"last_affected": "0.115.0"}]),  # affected
            _record("PYSEC-4", "jinja2", [{"introduced": "0"}], withdrawn="2026-01-01T00:00:00Z"),
            _record("GHSA-5", "requests", [{"introduced": "0"}]),  # not pinned here
        ],
    )
    done = _run(str(_lock(tmp_path)), "--db", str(database))
    assert done.returncode == 1, done.stderr
    assert "jinja2 3.1.4: PYSEC-1 summary of PYSEC-1" in done.stdout
    assert "fastapi 0.115.0: PYSEC-3" in done.stdout
    assert "PYSEC-2" not in done.stdout and "PYSEC-4" not in done.stdout
    assert done.stdout.strip().endswith("audit packages=2 advisories_read=5 findings=2")


def test_a_database_of_json_files_with_nothing_affecting_passes(tmp_path: Path) -> None:
    folder = tmp_path / "advisories" / "jinja2"
    folder.mkdir(parents=True)
    record = _record("PYSEC-9", "jinja2", [{"introduced": "0"}, {"fixed": "2.0"}])
    (folder / "PYSEC-9.json").write_text(json.dumps(record), encoding="utf-8")
    done = _run(str(_lock(tmp_path)), "--db", str(tmp_path / "advisories"))
    assert done.returncode == 0, done.stderr
    assert "findings=0" in done.stdout


def test_without_a_usable_database_the_audit_never_passes(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    empty = _zip(tmp_path, [])
    not_zip = tmp_path / "broken.zip"
    not_zip.write_bytes(b"not a zip")
    for args, said in (
        ((), "NO ADVISORY DATABASE GIVEN"),
        (("--db", str(tmp_path / "missing")), "CANNOT BE READ"),
        (("--db", str(not_zip)), "CANNOT BE READ"),
        (("--db", str(empty)), "HOLDS NO PyPI ADVISORIES"),
    ):
        done = _run(str(lock), *args)
        assert done.returncode == 2, args
        assert said in done.stderr and "NOTHING WAS SCANNED" in done.stderr


def test_make_audit_without_a_database_fails_loudly() -> None:
    done = subprocess.run(["make", "-s", "audit"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert "NOTHING WAS SCANNED" in done.stderr

"""The dependency locks: every package pinned to one version with the hashes of its files, every dependency
of pyproject.toml in them, the same runtime versions in both, and the Makefile installing in hash-checking mode."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})*)\s*$")


def _entries(name: str) -> dict[str, tuple[str, int]]:
    """Package -> (version, number of hashes), from a pip-compile lock with continuation lines."""
    text = (ROOT / name).read_text(encoding="utf-8")
    logical = [
        line for line in text.replace("\\\n", " ").splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    entries: dict[str, tuple[str, int]] = {}
    for line in logical:
        match = _ENTRY.match(line.strip())
        assert match, f"{name}: not a pinned requirement with hashes: {line.strip()[:80]}"
        entries[canonicalize_name(match[1])] = (match[2], match[3].count("--hash="))
    return entries


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {canonicalize_name(Requirement(spec).name) for spec in listed}


def test_every_locked_package_has_one_version_and_its_hashes() -> None:
    for name in ("requirements.lock", "requirements-dev.lock"):
        entries = _entries(name)
        assert entries, name
        assert all(hashes >= 1 for _, hashes in entries.values()), name


def test_every_declared_dependency_is_locked_and_the_runtime_versions_agree() -> None:
    runtime, dev = _entries("requirements.lock"), _entries("requirements-dev.lock")
    assert _declared() <= runtime.keys()
    assert _declared() | _declared("dev") <= dev.keys()
    assert "setuptools" in runtime  # the portal itself is built from the lock, not a fetched build environment
    assert {name: dev[name][0] for name in runtime} == {name: version for name, (version, _) in runtime.items()}


def test_the_makefile_installs_in_hash_checking_mode_only() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line.strip() for line in makefile.splitlines() if "pip install" in line and "portal-lock" not in line]
    assert installs
    for line in installs:
        assert "--require-hashes -r requirements" in line or "--no-deps --no-build-isolation -e ." in line, line

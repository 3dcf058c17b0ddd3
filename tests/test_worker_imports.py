"""What a web worker keeps in memory: the heavy libraries that only a few requests need are imported by those
requests, not at start-up nor by the public pages (``docs/benchmarks.md``, pages: a worker under 100 MB).

The worker is a fresh interpreter holding what a worker of ``portal serve --workers N`` inherits from the arbiter
it is forked from (``app.serving.arbiter``: gunicorn and the worker class), then the app factory, then the public
pages in both languages."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTAL = Path(sys.executable).parent / "portal"

LAZY = (
    "alembic",  # the readiness check and the operator's commands
    "argon2",  # a password hashed or checked
    "cryptography",  # a second factor's enrolment, check or reset
    "defusedxml",  # Office documents' checks (in their own processes)
    "feedgen",  # the Atom feed
    "icalendar",  # calendar files
    "lxml",  # feedgen's XML
    "openpyxl",  # XLSX exports
    "psycopg",  # PostgreSQL only
    "pypdf",  # document checks (in their own processes) and blind copies
    "segno",  # the QR code at enrolment
    "sqlalchemy.dialects.postgresql",  # PostgreSQL only (JSON columns, ON CONFLICT)
    "zxcvbn",  # password changes
)

WORKER = """
import json, sys
import app.serving.arbiter  # what the arbiter imported before it forked the worker
from fastapi.testclient import TestClient
from app.main import create_app
lazy = tuple(sys.argv[1].split(","))
def loaded():
    return sorted(m for m in sys.modules if any(m == name or m.startswith(name + ".") for name in lazy))
started = loaded()
pages = ["/", "/challenges/counter-uas", "/api/v1/challenges/counter-uas", "/healthz"]
statuses = {}
with TestClient(create_app()) as client:
    for language in ("nl", "en"):
        for page in pages:
            statuses[f"{page} {language}"] = client.get(page, cookies={"portal_lang": language}).status_code
import babel.localedata
served = loaded()
print(json.dumps({"started": started, "served": served, "statuses": statuses,
                  "babel_locales": sorted(babel.localedata._cache)}))
"""


@pytest.fixture(scope="module")
def portal_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A SQLite database made by the migrations, holding the seeded challenges published (as ``make run``)."""
    data = tmp_path_factory.mktemp("worker-imports")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PORTAL_DATA_DIR": str(data),
        "PORTAL_DATABASE_URL": f"sqlite:///{data / 'portal.db'}",
        "PORTAL_SECRET_KEY": "worker-imports-test-secret",
        "PORTAL_CHALLENGES_DIR": str(ROOT / "challenges"),
    }
    subprocess.run([str(PORTAL), "migrate"], env=env, check=True, capture_output=True)
    loaded = subprocess.run(
        [str(PORTAL), "challenges", "load", "--publish", "--demo"], env=env, capture_output=True, text=True
    )
    assert loaded.returncode in (0, 3), loaded.stdout + loaded.stderr
    return env


def test_a_worker_serving_the_public_pages_has_not_imported_the_heavy_libraries(portal_env: dict[str, str]) -> None:
    run = subprocess.run(
        [sys.executable, "-c", WORKER, ",".join(LAZY)],
        env={**portal_env, "PORTAL_PRODUCTION": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(found["statuses"].values()) == {200}, found["statuses"]
    assert found["started"] == []
    assert found["served"] == []
    # Dates and numbers on the pages come from app.formatting, not from Babel's locale data (5 MB for nl and en).
    assert found["babel_locales"] == []


def test_the_lazily_imported_libraries_exist_for_the_requests_that_need_them() -> None:
    """The test above cannot pass because a library was uninstalled: every one of them imports."""
    for name in LAZY:
        importlib.import_module(name)


CATALOGUE_WORKER = """
import json, sys
import app.serving.arbiter
from fastapi.testclient import TestClient
from app.main import create_app
with TestClient(create_app()) as client:
    page = client.get("/login", cookies={"portal_lang": "nl"}).text
print(json.dumps({"dutch": "Inloggen" in page, "parsed": "babel.messages.pofile" in sys.modules}))
"""


def test_a_worker_of_portal_serve_reads_the_compiled_catalogues_and_parses_no_po_file(
    portal_env: dict[str, str],
) -> None:
    from app import i18n
    from app.cli.serve import _compile_catalogues
    from app.settings import Settings

    data = Path(portal_env["PORTAL_DATA_DIR"])
    _compile_catalogues(Settings(data_dir=data))
    folder = data / "catalogues"
    compiled = folder / i18n.compiled_name("nl")
    assert compiled.stat().st_mode & 0o777 == 0o600
    env = {**portal_env, i18n.CATALOGUE_CACHE_ENV: str(folder)}

    def worker() -> dict[str, bool]:
        run = subprocess.run([sys.executable, "-c", CATALOGUE_WORKER], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-3000:]
        return json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    assert worker() == {"dutch": True, "parsed": False}
    # A catalogue compiled from other .po files (an update since) is not read: the worker parses its own.
    stale = folder / "nl-00000000000000000000.mo"
    compiled.rename(stale)
    assert worker() == {"dutch": True, "parsed": True}
    _compile_catalogues(Settings(data_dir=data))
    assert compiled.exists() and not stale.exists()

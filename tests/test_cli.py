"""The ``portal`` command line: migrate, challenges validate/load/schema/export, audit verify."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, func, select, text

from app.challenges.definitions import read_file
from app.challenges.models import Challenge
from app.cli import main
from tests.databases import empty_database
from tests.factories import BASE_DEFINITION

ROOT = Path(__file__).resolve().parent.parent
SEEDED = ROOT / "challenges"


@pytest.fixture
def cli_env(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database that the CLI finds through PORTAL_* variables."""
    with empty_database(db_kind, tmp_path) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        assert run("migrate").exit_code == 0
        yield url


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Challenge))
    engine.dispose()
    return int(count or 0)


def test_validate_seeded_files_pass() -> None:
    result = run("challenges", "validate", str(SEEDED))
    assert result.exit_code == 0, result.output
    assert sorted(line.split("/")[-1] for line in result.output.splitlines()) == [
        "ammunition-reuse.toml: ok",
        "counter-uas.toml: ok",
        "drone-munitions.toml: ok",
    ]


def test_seeded_files_cover_every_question_type_and_a_two_stage_challenge() -> None:
    definitions = [read_file(path).definition for path in sorted(SEEDED.glob("*.toml"))]
    types = {q.type for d in definitions if d for s in d.stages for q in s.questions}
    assert types == {
        "short_text",
        "long_text",
        "number",
        "single_choice",
        "multiple_choice",
        "yes_no",
        "date",
        "document",
    }
    assert any(d and len(d.stages) == 2 and d.stages[1].invitation_only for d in definitions)


def test_validate_lists_every_error_with_file_and_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('slug = "Bad Slug"\n[title]\nnl = "Titel"\n', encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text("slug = [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["challenges", "validate", str(bad), str(broken)])
    assert result.exit_code == 1
    assert f"{bad}: slug: String should match pattern" in result.output
    assert f"{bad}: title.en: Field required" in result.output
    assert f"{bad}: stages: Field required" in result.output
    assert f"{broken}: (file): not valid TOML" in result.output
    assert "2 of 2 files have errors" in result.output


def test_load_is_all_or_nothing(cli_env: str, tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(SEEDED, folder, ignore=shutil.ignore_patterns("*.md"))
    (folder / "zz-bad.toml").write_text('slug = "zz"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["challenges", "load", str(folder)])
    assert result.exit_code == 1
    assert "Nothing was loaded." in result.output
    assert _count(cli_env) == 0


def test_load_unknown_tag_loads_nothing(cli_env: str, tmp_path: Path) -> None:
    import tomli_w

    data = json.loads(json.dumps(BASE_DEFINITION))
    data["tags"] = {"nld": ["cyber"], "basis": []}
    path = tmp_path / "tagged.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["challenges", "load", str(SEEDED), str(path)])
    assert result.exit_code == 1
    assert f"{path}: tags.nld[0]: unknown nld tag 'cyber'" in result.output
    assert _count(cli_env) == 0


def test_load_publishes_and_is_idempotent(cli_env: str) -> None:
    first = run("challenges", "load", "--publish", str(SEEDED))
    assert first.exit_code == 0, first.output
    assert sorted(first.output.split()) == sorted(
        ["ammunition-reuse:", "created", "counter-uas:", "created", "drone-munitions:", "created"]
    )
    second = run("challenges", "load", "--publish", str(SEEDED))
    assert second.output.count("unchanged") == 3
    engine = create_engine(cli_env)
    with engine.connect() as connection:
        statuses = connection.scalars(text("SELECT status FROM challenge")).all()
        versions = connection.scalar(text("SELECT count(*) FROM challenge_version"))
    engine.dispose()
    assert statuses == ["published"] * 3
    assert versions == 3


def test_schema_prints_json_schema() -> None:
    result = run("challenges", "schema")
    schema = json.loads(result.output)
    assert schema["title"] == "ChallengeDefinition"
    assert {"slug", "stages", "criteria", "scale"} <= set(schema["required"])


def test_export_round_trip_gives_the_same_challenge(cli_env: str, tmp_path: Path) -> None:
    run("challenges", "load", str(SEEDED))
    exported = run("challenges", "export", "counter-uas")
    path = tmp_path / "counter-uas.toml"
    path.write_text(exported.output, encoding="utf-8")
    assert run("challenges", "validate", str(path)).exit_code == 0
    assert read_file(path).definition == read_file(SEEDED / "counter-uas.toml").definition
    assert "counter-uas: unchanged" in run("challenges", "load", str(path)).output


def test_export_unknown_slug_fails(cli_env: str) -> None:
    result = CliRunner().invoke(main, ["challenges", "export", "nope"])
    assert result.exit_code != 0
    assert "no challenge with slug 'nope'" in result.output


def test_audit_verify_intact_then_tampered(cli_env: str, db_kind: str) -> None:
    run("challenges", "load", "--publish", str(SEEDED))
    ok = run("audit", "verify")
    assert ok.exit_code == 0
    assert ok.output.strip() == "Audit chain intact: 6 events."
    engine = create_engine(cli_env)
    with engine.begin() as connection:
        if db_kind == "postgresql":
            connection.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
        else:
            connection.execute(text("DROP TRIGGER audit_event_no_update"))
        third = connection.scalar(text("SELECT id FROM audit_event ORDER BY id LIMIT 1 OFFSET 2"))
        connection.execute(text("UPDATE audit_event SET actor_label = 'someone else' WHERE id = :id"), {"id": third})
    engine.dispose()
    broken = CliRunner().invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"Audit chain broken at event {third}" in broken.output

"""``portal users``: create, grant, revoke, list and demo, against a real migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from app.accounts.passwords import verify_password
from app.accounts.two_factor.sealing import SecretBox
from app.cli import main
from app.cli.common import get_settings
from tests.databases import empty_database

PASSWORD = "quiet harbour lantern 7781"


@pytest.fixture
def cli_env(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database that the CLI finds through PORTAL_* variables."""
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    with empty_database(db_kind, tmp_path) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        assert run("migrate").exit_code == 0
        yield url


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def _rows(url: str, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(sql))]
    engine.dispose()
    return rows


def _create(email: str = "first@mindef.example") -> Result:
    return run("users", "create", email, "--name", "First Admin", "--password-stdin", input=PASSWORD + "\n")


def test_create_with_password_stdin_then_grant_administrator(cli_env: str) -> None:
    created = _create("First@MinDef.example")
    assert created.exit_code == 0, created.output
    assert created.output.startswith("Created user first@mindef.example (id ")
    granted = run("users", "grant", "first@mindef.example", "administrator")
    assert granted.exit_code == 0, granted.output
    assert granted.output == "Granted role administrator to first@mindef.example.\n"
    [(password_hash, confirmed)] = _rows(cli_env, "SELECT password_hash, email_confirmed_at FROM user_account")
    assert verify_password(password_hash, PASSWORD) and confirmed is not None
    assert _rows(cli_env, "SELECT role FROM user_role") == [("administrator",)]
    actions = _rows(cli_env, "SELECT action, actor_label FROM audit_event ORDER BY id")
    assert [a for a, _ in actions] == ["user.create", "role.grant"]
    assert all(label.startswith("cli:") for _, label in actions)
    assert run("audit", "verify").exit_code == 0


def test_create_prompts_twice_with_hidden_input(cli_env: str) -> None:
    result = run("users", "create", "p@mindef.example", "--name", "P", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "Repeat for confirmation" in result.output


def test_create_bad_password_fails(cli_env: str) -> None:
    result = run("users", "create", "weak@mindef.example", "--name", "W", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "password: Use at least 12 characters." in result.output
    assert _rows(cli_env, "SELECT email FROM user_account") == []


def test_create_duplicate_email_fails(cli_env: str) -> None:
    assert _create().exit_code == 0
    again = _create("FIRST@mindef.example")
    assert again.exit_code == 1
    assert "email: An account with this e-mail address already exists." in again.output


def test_grant_unknown_user_or_role_fails(cli_env: str) -> None:
    unknown_user = run("users", "grant", "nobody@mindef.example", "evaluator")
    assert unknown_user.exit_code == 1
    assert "no user with e-mail address 'nobody@mindef.example'" in unknown_user.output
    assert _create().exit_code == 0
    unknown_role = run("users", "grant", "first@mindef.example", "superuser")
    assert unknown_role.exit_code == 1
    assert "unknown role 'superuser': choose one of evaluator, coordinator, administrator" in unknown_role.output
    assert _rows(cli_env, "SELECT role FROM user_role") == []


def test_revoke_last_administrator_fails_then_succeeds_with_a_second(cli_env: str) -> None:
    _create()
    run("users", "grant", "first@mindef.example", "administrator")
    refused = run("users", "revoke", "first@mindef.example", "administrator")
    assert refused.exit_code == 1
    assert "The last administrator cannot lose the administrator role." in refused.output
    _create("second@mindef.example")
    run("users", "grant", "second@mindef.example", "administrator")
    revoked = run("users", "revoke", "first@mindef.example", "administrator")
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output == "Revoked role administrator for first@mindef.example.\n"
    assert _rows(cli_env, "SELECT role FROM user_role") == [("administrator",)]


def test_list_shows_users_with_roles(cli_env: str) -> None:
    _create()
    _create("zed@company.example")
    run("users", "grant", "first@mindef.example", "evaluator")
    result = run("users", "list")
    assert result.exit_code == 0
    lines = [line.split("\t")[1:] for line in result.output.splitlines()]
    assert lines == [
        ["first@mindef.example", "First Admin", "evaluator", "no-2fa", "active"],
        ["zed@company.example", "First Admin", "-", "no-2fa", "active"],
    ]


def test_demo_refused_outside_demo_mode(cli_env: str) -> None:
    result = run("users", "demo")
    assert result.exit_code == 1
    assert "demo accounts exist only in demo mode" in result.output
    assert _rows(cli_env, "SELECT email FROM user_account") == []


def test_demo_creates_enrolled_staff_and_prints_login(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DEMO", "1")
    first = run("users", "demo")
    assert first.exit_code == 0, first.output
    second = run("users", "demo")
    assert second.exit_code == 0, second.output
    rows = _rows(
        cli_env, "SELECT email, password_hash, totp_secret, totp_secret_sealed FROM user_account ORDER BY email"
    )
    assert [r[0] for r in rows] == [
        "admin@demo.invalid",
        "coordinator2@demo.invalid",
        "coordinator@demo.invalid",
        "evaluator@demo.invalid",
    ]
    password = second.output.split("password for each: ")[1].split(")")[0]
    box = SecretBox(get_settings().resolved_secret_key())
    for email, password_hash, plain, sealed in rows:
        secret = box.open(sealed)
        assert plain is None and secret not in sealed
        assert verify_password(password_hash, password)
        assert f"TOTP secret: {secret}" in second.output
        assert pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Defence portal demo") in second.output
    assert "/login" in second.output
    assert sorted(_rows(cli_env, "SELECT role FROM user_role")) == [
        ("administrator",),
        ("coordinator",),
        ("coordinator",),
        ("evaluator",),
    ]


def test_demo_coordinator_manages_the_loaded_challenges(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DEMO", "1")
    root = Path(__file__).resolve().parents[2]
    assert run("challenges", "load", str(root / "challenges"), "--publish").exit_code == 0
    result = run("users", "demo")
    assert result.exit_code == 0, result.output
    assert (
        "The demo coordinators (one prepares, the other approves) manage: ammunition-reuse, counter-uas, drone-munitions"
        in result.output
    )
    assigned = _rows(
        cli_env,
        "SELECT c.slug, u.email FROM challenge_coordinator cc JOIN challenge c ON c.id = cc.challenge_id "
        "JOIN user_account u ON u.id = cc.user_id ORDER BY c.slug, u.email",
    )
    assert assigned == [
        (slug, email)
        for slug in ("ammunition-reuse", "counter-uas", "drone-munitions")
        for email in ("coordinator2@demo.invalid", "coordinator@demo.invalid")
    ]
    assert run("users", "demo").exit_code == 0  # again: nothing assigned twice
    assert len(_rows(cli_env, "SELECT * FROM challenge_coordinator")) == 6


def test_migrate_encrypts_authenticator_secrets_stored_plain(cli_env: str) -> None:
    created = run("users", "create", "old@mindef.example", "--name", "Oud", "--password-stdin", input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    engine = create_engine(cli_env)
    with engine.begin() as connection:
        connection.execute(text("UPDATE user_account SET totp_secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'"))
    engine.dispose()
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert "Encrypted 1 authenticator secret(s) stored in plain text" in result.output
    [(plain, sealed)] = _rows(cli_env, "SELECT totp_secret, totp_secret_sealed FROM user_account")
    assert plain is None and "JBSWY3DP" not in sealed
    assert SecretBox(get_settings().resolved_secret_key()).open(sealed) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert "Encrypted" not in run("migrate").output

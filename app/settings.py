"""Settings from the environment (prefix ``PORTAL_``), built by the app factory, never at import time."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import tempfile
from datetime import date
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LANGUAGES = ("nl", "en")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite database, blobs and mail.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in data_dir.")
    migrate_database_url: str = Field(
        default="",
        description="SQLAlchemy URL `portal migrate` connects with (the schema's owner); empty: database_url.",
    )
    base_url: str = Field(
        default="", description="Public address; empty: http://127.0.0.1:PORT, so links follow PORTAL_PORT."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = Field(default="", description="Signs tokens; generated into data_dir when empty.")
    production: bool = False
    demo: bool = False
    default_language: str = "nl"
    challenges_dir: Path = Path("challenges")
    workers: int = 1
    worker_timeout: float = Field(
        default=30,
        ge=2,
        le=3600,
        description="Seconds without an answer from a worker's event loop before it is replaced.",
    )
    worker_max_requests: int = Field(
        default=0, ge=0, description="Requests after which a worker is replaced (plus up to a tenth); 0: never."
    )
    threads: int = Field(default=4, ge=1, le=200, description="Worker threads per process for views.")
    blob_dir: Path | None = Field(default=None, description="Folder for uploaded documents; default data_dir/blobs.")
    # Each uploaded document is checked in a process of its own with these limits; past them it is refused.
    document_check_cpu_seconds: float = Field(default=2.0, gt=0, le=60, description="CPU time per document check.")
    document_check_memory_mb: int = Field(default=512, ge=1, le=8192, description="Memory per document check.")
    document_checkers: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Idle document-checking processes each worker keeps (a production worker starts with them).",
    )
    # OCDS: each challenge's Open Contracting ID is this prefix, a hyphen and its number. The default is a
    # placeholder: a publisher registers its own prefix with the Open Contracting Partnership.
    ocid_prefix: str = Field(
        default="ocds-xxxxxx",
        pattern=r"^ocds-[a-z0-9]{6}$",
        description="OCDS prefix registered with the Open Contracting Partnership (ocds- and six characters).",
    )
    # The archive law: documents of a closed challenge (decided or cancelled) are kept this many years after its
    # last deadline; `portal retention purge` removes them after that.
    retention_years: int = Field(default=7, ge=1, le=100, description="Years documents of closed challenges are kept.")
    correction_extension_days: int = Field(
        default=6, ge=0, description="A correction this many days or fewer before a deadline must extend it."
    )

    # The ADV threshold (Directive 2009/81/EC, supplies and services) with its validity period, as
    # "euros:first-day:last-day" entries separated by commas. The European Commission revises it every two
    # years in the Official Journal: add the new period when it is published.
    adv_thresholds: str = Field(
        default="443000:2024-01-01:2025-12-31,432000:2026-01-01:2027-12-31",
        description="ADV thresholds with their validity, e.g. '432000:2026-01-01:2027-12-31,NEW:2028-01-01:2029-12-31'.",
    )
    # Evaluation: a proposal is flagged for disagreement where a criterion's range of scores reaches this many
    # points on a 0-5 scale (proportionally on other scales).
    disagreement_threshold: float = Field(default=2, gt=0, le=100)

    # Sessions: ended after this long without a request, and this long after login whatever happens.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Login throttling, per account and address (an attacker's failures never slow the owner elsewhere):
    # after this many failures within the window for one account from one address (IPv6: one /64), or from
    # one address over all accounts, each further attempt waits twice as long as the one before, from
    # login_first_delay_seconds up to login_max_delay_seconds.
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_failure_window_minutes: int = Field(default=60, ge=1, le=30 * 24 * 60)  # records are kept 30 days
    login_first_delay_seconds: int = Field(default=5, ge=1)
    login_max_delay_seconds: int = Field(default=900, ge=1)
    # The second factor counts its own failures: this many wrong codes end the login (password again),
    # and this many in an hour stop the account's second factor for the rest of that hour.
    two_factor_max_failures_per_login: int = Field(default=5, ge=1)
    two_factor_max_failures_per_hour: int = Field(default=10, ge=1)
    # Proxies whose X-Forwarded-For is believed (CIDR list, comma-separated); empty: the peer's address.
    trusted_proxies: str = ""

    # Outgoing mail. Without smtp_host, messages stay in the outbox (``portal mail list``) and as .eml files.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    mail_from: str = "Defensie Challengeportaal <noreply@challenges.example.nl>"

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"default_language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @model_validator(mode="after")
    def _base_url_follows_port(self) -> Settings:
        # Unset, the public address is where ``portal serve`` listens, so links in e-mails work on any port.
        if not self.base_url:
            self.base_url = local_base_url(self.host, self.port)
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'portal.db').resolve()}"

    @property
    def effective_migrate_database_url(self) -> str:
        """Where migrations run: as the role that owns the schema, which may differ from the portal's own role."""
        return self.migrate_database_url or self.effective_database_url

    @field_validator("adv_thresholds")
    @classmethod
    def _thresholds_readable(cls, value: str) -> str:
        parse_adv_thresholds(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_readable(cls, value: str) -> str:
        parse_networks(value)
        return value

    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    def adv_threshold_periods(self) -> list[tuple[int, date, date | None]]:
        return parse_adv_thresholds(self.adv_thresholds)

    @property
    def effective_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once into the data folder (refused in production)."""
        if self.secret_key:
            return self.secret_key
        if self.production:
            raise RuntimeError("PORTAL_SECRET_KEY must be set when PORTAL_PRODUCTION is on.")
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            # Written whole into a file only this user can read (mkstemp: mode 0600), then linked into place:
            # no moment with a wider mode or a half-written key, and of two processes starting at once one wins.
            fd, name = tempfile.mkstemp(dir=self.data_dir, prefix=".secret_key-")
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
                with contextlib.suppress(FileExistsError):
                    os.link(name, path)
            finally:
                os.unlink(name)
        return path.read_text().strip()


def local_base_url(host: str, port: int) -> str:
    """The address a browser on this machine reaches ``portal serve`` at (any-address hosts: loopback)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def parse_adv_thresholds(value: str) -> list[tuple[int, date, date | None]]:
    """``"443000:2024-01-01:2025-12-31,..."`` as (euros, first day, last day or None for open-ended)."""
    periods: list[tuple[int, date, date | None]] = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        euros, _, rest = item.partition(":")
        start, _, end = rest.partition(":")
        try:
            periods.append((int(euros), date.fromisoformat(start), date.fromisoformat(end) if end else None))
        except ValueError as error:
            raise ValueError(f"ADV threshold {item!r}: give euros:YYYY-MM-DD:YYYY-MM-DD") from error
    return periods


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """``"10.0.0.0/8, 2001:db8::/32, 192.0.2.7"`` as networks (a bare address is a network of one)."""
    networks: list[IPNetwork] = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise ValueError(f"trusted proxy {item!r}: give an address or a CIDR network") from error
    return tuple(networks)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]

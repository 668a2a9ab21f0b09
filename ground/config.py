"""Settings: the only place that reads the environment.

Every setting has the prefix ``SLUICE_``. Defaults make a fresh clone run on an embedded stack
(SQLite under ``./var/``, files under ``./var/data``, Celery tasks run in-process); production
mode refuses to start without the secrets a real deployment must set on purpose.
"""

from __future__ import annotations

import difflib
import os
import secrets
from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ground import secretbox

VAR_DIR = Path("var")
ENV_PREFIX = "SLUICE_"
# Variables of the test suite itself (its database, Redis, browser), never read by the app.
TEST_ENV_PREFIX = "SLUICE_TEST_"


class Environment(StrEnum):
    development = "development"
    demo = "demo"
    test = "test"
    production = "production"


class SettingsError(ValueError):
    """A setting is missing or unsafe for the chosen environment."""


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting's error names the variable and the problem, never
    # the values given (pydantic would otherwise print every input, secrets included).
    model_config = SettingsConfigDict(
        env_prefix="SLUICE_", extra="forbid", hide_input_in_errors=True
    )

    environment: Environment = Environment.development
    database_url: str = f"sqlite:///{VAR_DIR / 'sluice.db'}"
    # Dataset files. Empty storage_url (the embedded default): they live in data_dir on this
    # machine. With an object store (`s3://bucket/prefix`, or `file:///shared/dir`), the store
    # is the source of truth and data_dir is only this node's verified cache, so API nodes and
    # workers on separate machines share the files (ground.storage).
    data_dir: Path = VAR_DIR / "data"
    storage_url: str = ""
    # An S3-compatible server other than AWS (MinIO, Ceph…), e.g. http://minio:9000.
    storage_endpoint_url: str = ""
    storage_region: str = ""
    # Empty credentials fall back to the client's own sources (AWS_* variables, instance role).
    storage_access_key_id: str = ""
    storage_secret_access_key: SecretStr | None = None
    jwt_secret: SecretStr | None = None
    # The key that seals secrets stored in the database (datasets' pseudonym secrets): 32 bytes
    # in URL-safe base64 (`sluice secrets generate-key`). Retired keys (comma-separated) still
    # open values sealed under them until `sluice secrets rotate` has re-sealed everything.
    secrets_key: SecretStr | None = None
    secrets_retired_keys: SecretStr | None = None
    access_token_minutes: int = Field(default=15, gt=0)
    refresh_token_days: int = Field(default=14, gt=0)
    # Empty means "run tasks in-process" (Celery eager mode): no broker needed for the demo.
    celery_broker_url: str = ""
    # The queue workers consume and tasks go to: deployments (or test runs) sharing one broker
    # keep each other's tasks apart by naming their own.
    celery_queue: str = Field(default="sluice", min_length=1, max_length=100)
    # Request bodies (README, "Uploads"): a dataset's file, the text fields of an upload form
    # (how many, how long each), and every other body (JSON, sign-in and console forms).
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    max_form_fields: int = Field(default=16, gt=0, le=1000)
    max_form_field_bytes: int = Field(default=64 * 1024, gt=0)
    max_request_body_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    # Stuck ingests (README, "Operating"): a dataset `processing` this long since its latest
    # ingest attempt was sent or began is stale: sent again while it has had fewer than
    # ingest_max_attempts, else marked failed. Set it above the longest ingest you expect.
    ingest_stale_minutes: int = Field(default=30, gt=0)
    ingest_max_attempts: int = Field(default=3, gt=0)
    # Orphaned files: staging files of killed uploads, and dataset directories with no dataset
    # row, are swept once older than this (younger ones may belong to an upload in flight).
    orphan_grace_minutes: int = Field(default=60, gt=0)
    # Ingestion bounds (README, "Ingestion limits"): a file with more columns, or a cell
    # longer than this many bytes (UTF-8), is refused. The ingest reads and writes the file in
    # batches of about ``ingest_batch_bytes`` (a CSV row must fit in one batch), so its memory
    # follows this setting, not the file's size; the header decision, neutral names and
    # detection look at the first ``ingest_sample_rows`` rows only.
    max_columns: int = Field(default=1000, gt=0)
    max_cell_bytes: int = Field(default=1024 * 1024, gt=0)
    ingest_batch_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    ingest_sample_rows: int = Field(default=10_000, gt=0)
    # Stored datasets are written in row groups of this many rows: a page of rows decodes
    # only the groups it overlaps (a few thousand rows, not the whole file), while DuckDB's
    # full scans in the sandbox still get groups large enough to run in parallel.
    parquet_row_group_rows: int = Field(default=16_384, ge=1024, le=1024 * 1024)
    # The row read path's in-process cache (listings.row_cache), per process: at most this
    # many opened dataset files, and this many bytes of decoded columns (0 turns either off).
    row_cache_files: int = Field(default=64, ge=0)
    row_cache_bytes: int = Field(default=256 * 1024 * 1024, ge=0)
    free_plan_calls: int = Field(default=1000, gt=0)
    # Every approved usage scenario expires; renewing it is a new order (reviewed if graded).
    scenario_valid_days: int = Field(default=365, gt=0)
    # Card payments through Stripe Checkout; off by default (bank transfers always work).
    stripe_enabled: bool = False
    # Listings whose released form has a smaller equivalence class over the declared
    # quasi-identifiers are flagged in the review queue.
    k_anonymity_min: int = Field(default=5, ge=2)
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    # None means Stripe's own API; tests point it at a local stand-in server.
    stripe_api_base: str | None = None
    # Where Stripe sends the buyer back: the console's order page.
    checkout_success_url: str = "http://localhost:8000/console/orders/{order_id}?paid=1"
    checkout_cancel_url: str = "http://localhost:8000/console/orders/{order_id}?cancelled=1"
    # The platform's bank account, shown to buyers who pay by transfer (free text: bank,
    # account name and number); empty means "ask the platform's operators".
    bank_transfer_details: str = ""
    # The platform's fee on every payment, in basis points (500 = 5.00%).
    platform_fee_bps: int = Field(default=500, ge=0, le=10_000)
    # A plan with an overage price and no overage limit of its own lets a buyer owe at most this
    # share of its included quota (100: as much overage as quota) before calls get 429 again.
    overage_default_limit_percent: int = Field(default=100, ge=1, le=10_000)
    # Sandbox (differential privacy). Caps bound what a single query, and any one grant, may
    # spend; the ledger in the database is the budget of record.
    sandbox_default_query_epsilon: float = Field(default=0.5, gt=0)
    sandbox_max_query_epsilon: float = Field(default=2.0, gt=0)
    sandbox_max_grant_epsilon: float = Field(default=20.0, gt=0)
    # δ spent by a query whose GROUP BY keys are not from a declared public domain.
    sandbox_query_delta: float = Field(default=1e-6, gt=0, lt=1)
    sandbox_max_grant_delta: float = Field(default=1e-3, gt=0, lt=1)
    sandbox_default_query_cap: int = Field(default=1000, gt=0)
    sandbox_max_groups: int = Field(default=10_000, gt=0)
    sandbox_max_limit: int = Field(default=10_000, gt=0)
    # Queries over datasets with at least this many rows run as a Celery task (202 + polling).
    sandbox_async_min_rows: int = Field(default=5_000_000, ge=0)
    sandbox_timeout_seconds: float = Field(default=30.0, gt=0)
    sandbox_memory_limit: str = "2GB"
    sandbox_threads: int = Field(default=4, gt=0)
    # Informational price a dry run quotes: minor units (fen) per unit of ε.
    sandbox_price_per_epsilon_minor: int = Field(default=10_000, ge=0)
    sandbox_currency: str = "CNY"
    # Sign-in throttling: failed attempts per account and per client address within the window;
    # the counters live in this storage (limits' URL syntax; empty: a Redis broker, else memory).
    login_max_failures_per_account: int = Field(default=10, gt=0)
    login_max_failures_per_client: int = Field(default=50, gt=0)
    login_failure_window_minutes: int = Field(default=15, gt=0)
    rate_limit_storage_url: str = ""
    # How long an Idempotency-Key is remembered (README, "Idempotent writes"); a beat task
    # sweeps the expired ones.
    idempotency_ttl_hours: int = Field(default=24, gt=0, le=24 * 30)
    # An API key's ``last_used_at`` is written at most once per key per this many seconds and
    # per API process (so it is accurate to this interval), never by the key lookup itself: a
    # busy key then costs no write per call and no row lock (README, "flow of a data API
    # call"). 0 writes it on every call.
    api_key_last_used_interval_seconds: int = Field(default=60, ge=0, le=24 * 3600)
    # Lifetime of a signed download link (bulk files, shared tables' files): a leaked link is a
    # bearer token until then (ground.signed_urls).
    signed_url_seconds: int = Field(default=900, gt=0, le=7 * 24 * 3600)
    # Operations (README, "Operating"). Logs: JSON lines for a collector, or readable lines.
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # GET /metrics: with a token, only ``Authorization: Bearer <token>`` may scrape (from
    # anywhere); without one, only clients on the loopback interface may.
    metrics_token: SecretStr | None = None
    # A Celery worker serves its own task metrics on 127.0.0.1:<port>; 0 serves none.
    worker_metrics_port: int = Field(default=0, ge=0, le=65_535)
    # Errors are reported to Sentry only when a DSN is set (never request bodies or messages).
    sentry_dsn: SecretStr | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_weak_metrics_token(self) -> Settings:
        if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 16:
            raise SettingsError("SLUICE_METRICS_TOKEN must be at least 16 characters")
        return self

    @model_validator(mode="after")
    def _refuse_unknown_storage(self) -> Settings:
        scheme = self.storage_url.partition("://")[0] if "://" in self.storage_url else ""
        if self.storage_url and scheme not in ("s3", "file"):
            raise SettingsError(
                "SLUICE_STORAGE_URL must be empty (files in SLUICE_DATA_DIR), s3://bucket/prefix "
                "or file:///absolute/dir"
            )
        if self.storage_endpoint_url and not self.storage_endpoint_url.startswith(
            ("http://", "https://")
        ):
            raise SettingsError("SLUICE_STORAGE_ENDPOINT_URL must start with http:// or https://")
        return self

    @model_validator(mode="after")
    def _refuse_malformed_secrets_keys(self) -> Settings:
        # Checked at startup in every environment: a wrong key discovered at the first data
        # call would be a 3 a.m. surprise. The message never repeats the value.
        if self.secrets_key is not None:
            _checked_key(self.secrets_key.get_secret_value(), "SLUICE_SECRETS_KEY")
        for text in self._retired_key_texts():
            _checked_key(text, "SLUICE_SECRETS_RETIRED_KEYS")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is Environment.production:
            if self.jwt_secret is None or len(self.jwt_secret.get_secret_value()) < 32:
                raise SettingsError(
                    "SLUICE_JWT_SECRET must be set to at least 32 characters in production"
                )
            if self.secrets_key is None:
                raise SettingsError(
                    "SLUICE_SECRETS_KEY must be set in production (generate one with "
                    "`sluice secrets generate-key`; keep it outside the database and back it up)"
                )
            if self.database_url.startswith("sqlite"):
                raise SettingsError("production needs a server database (SLUICE_DATABASE_URL)")
            if self.stripe_enabled and (
                self.stripe_secret_key is None or self.stripe_webhook_secret is None
            ):
                raise SettingsError(
                    "SLUICE_STRIPE_ENABLED needs SLUICE_STRIPE_SECRET_KEY and "
                    "SLUICE_STRIPE_WEBHOOK_SECRET in production"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def tasks_in_process(self) -> bool:
        return not self.celery_broker_url

    def jwt_key(self) -> str:
        """The signing key; generated once under ``./var/`` outside production."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return _stored_secret(VAR_DIR / "jwt_secret")

    @cached_property
    def secrets_keyring(self) -> secretbox.Keyring:
        """The keys that seal and open stored secrets: SLUICE_SECRETS_KEY (outside production,
        generated once into ``./var/secrets_key`` when unset) and SLUICE_SECRETS_RETIRED_KEYS.
        Read once per settings object (settings are cached per process)."""
        if self.secrets_key is not None:
            current = self.secrets_key.get_secret_value()
        else:
            current = _stored_key(VAR_DIR / "secrets_key")
        retired = tuple(
            _checked_key(text, "SLUICE_SECRETS_RETIRED_KEYS") for text in self._retired_key_texts()
        )
        return secretbox.Keyring(_checked_key(current, "SLUICE_SECRETS_KEY"), retired)

    def _retired_key_texts(self) -> list[str]:
        if self.secrets_retired_keys is None:
            return []
        texts = self.secrets_retired_keys.get_secret_value().split(",")
        return [text.strip() for text in texts if text.strip()]


def _checked_key(text: str, variable: str) -> bytes:
    try:
        return secretbox.decode_key(text)
    except ValueError as problem:
        raise SettingsError(
            f"{variable} is not a secrets key ({problem}): expected 32 random bytes in URL-safe "
            "base64, as `sluice secrets generate-key` prints"
        ) from None


def _stored_key(path: Path) -> str:
    # Like the JWT secret: generated on first use outside production, so a fresh clone works
    # without setup; losing this file loses every dataset's pseudonym secret, so it is kept.
    # Written under a temporary name and linked into place: two processes starting together
    # agree on one key (the link fails for the second, which then reads the first's).
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        staged.write_text(secretbox.generate_key())
        staged.chmod(0o600)
        try:
            os.link(staged, path)
        except FileExistsError:
            pass  # another process won the race: its key is the one
        finally:
            staged.unlink()
    return path.read_text().strip()


def _stored_secret(path: Path) -> str:
    # Generated on first run so a fresh clone works without setup, and stored so tokens survive
    # a restart. Production never reaches this (the validator above demands a real secret).
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse a ``SLUICE_*`` variable that names no setting.

    pydantic-settings ignores unknown variables, so a misspelt one
    (``SLUICE_SANDBOX_TIMEOUT_SECOND``) would silently leave the default in force; an operator
    learns it at startup instead, with the closest real setting named."""
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(
        key
        for key in environ
        if key.upper().startswith(ENV_PREFIX)
        and not key.upper().startswith(TEST_ENV_PREFIX)
        and key.upper() not in known
    )
    if not unknown:
        return
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key.upper(), sorted(known), n=1, cutoff=0.6)
        hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
    raise SettingsError(
        f"Unknown setting{'s' if len(unknown) > 1 else ''}: {', '.join(hints)}. "
        "Every setting is listed in the README's Configuration section."
    )


def check_process_environment() -> None:
    """``check_environment`` on this process's environment: called where the app and the CLI
    start, so a misspelt variable stops them before they serve anything."""
    check_environment(os.environ)


def prometheus_multiproc_dir() -> str | None:
    """prometheus-client's own variable (not a Sluice setting; the library reads it when it is
    imported): a directory shared by the processes whose metrics ``/metrics`` sums."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


@lru_cache
def get_settings() -> Settings:
    check_process_environment()
    return Settings()

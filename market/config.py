"""Settings: the only place that reads the environment.

Every setting has the prefix ``SLUICE_``. Defaults make a fresh clone run on an embedded stack
(SQLite under ``./var/``, files under ``./var/data``, Celery tasks run in-process); production
mode refuses to start without the secrets a real deployment must set on purpose.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Environment(StrEnum):
    development = "development"
    demo = "demo"
    test = "test"
    production = "production"


class SettingsError(ValueError):
    """A setting is missing or unsafe for the chosen environment."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLUICE_", extra="forbid")

    environment: Environment = Environment.development
    database_url: str = f"sqlite:///{VAR_DIR / 'sluice.db'}"
    data_dir: Path = VAR_DIR / "data"
    jwt_secret: SecretStr | None = None
    access_token_minutes: int = Field(default=15, gt=0)
    refresh_token_days: int = Field(default=14, gt=0)
    # Empty means "run tasks in-process" (Celery eager mode): no broker needed for the demo.
    celery_broker_url: str = ""
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    free_plan_calls: int = Field(default=1000, gt=0)
    # Listings whose released form has a smaller equivalence class over the declared
    # quasi-identifiers are flagged in the review queue.
    k_anonymity_min: int = Field(default=5, ge=2)
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is Environment.production:
            if self.jwt_secret is None or len(self.jwt_secret.get_secret_value()) < 32:
                raise SettingsError(
                    "SLUICE_JWT_SECRET must be set to at least 32 characters in production"
                )
            if self.database_url.startswith("sqlite"):
                raise SettingsError("production needs a server database (SLUICE_DATABASE_URL)")
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


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Settings: safe defaults for a fresh clone, refusals in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from ground import secretbox
from ground.config import Environment, Settings, SettingsError, check_environment, get_settings
from market.shell.app import create_app
from tests.fixtures.settings import TEST_SECRETS_KEY


def test_defaults_are_the_embedded_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DATABASE_URL", "DATA_DIR", "CELERY_BROKER_URL", "ENVIRONMENT"):
        monkeypatch.delenv(f"SLUICE_{var}", raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite:///var/sluice.db"
    assert settings.data_dir == Path("var/data")
    assert settings.tasks_in_process


def test_jwt_secret_is_generated_once_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLUICE_JWT_SECRET", raising=False)
    first = Settings().jwt_key()
    assert len(first) >= 32
    assert Settings().jwt_key() == first
    assert (tmp_path / "var" / "jwt_secret").read_text() == first


def test_production_refuses_to_start_without_a_jwt_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SLUICE_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="SLUICE_JWT_SECRET"):
        Settings(environment=Environment.production, database_url="postgresql://db/sluice")


def test_production_refuses_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="server database"):
        Settings(
            environment=Environment.production,
            jwt_secret="x" * 40,
            secrets_key=TEST_SECRETS_KEY,
            database_url="sqlite:///x.db",
        )


def test_production_refuses_to_start_without_a_secrets_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SLUICE_SECRETS_KEY", raising=False)
    with pytest.raises(ValidationError, match="SLUICE_SECRETS_KEY must be set in production"):
        Settings(
            environment=Environment.production,
            database_url="postgresql://db/sluice",
            jwt_secret="x" * 40,
        )


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("secrets_key", "SLUICE_SECRETS_KEY"),
        ("secrets_retired_keys", "SLUICE_SECRETS_RETIRED_KEYS"),
    ],
)
@pytest.mark.parametrize("value", ["not-a-key", "c2hvcnQ=", "!" * 44])
def test_a_malformed_secrets_key_stops_the_settings_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, field: str, variable: str, value: str
) -> None:
    monkeypatch.delenv("SLUICE_SECRETS_KEY", raising=False)
    monkeypatch.delenv("SLUICE_SECRETS_RETIRED_KEYS", raising=False)
    with pytest.raises(ValidationError, match=variable) as refusal:
        Settings(**{field: value})  # type: ignore[arg-type]
    assert value not in str(refusal.value)


def test_the_keyring_holds_the_current_key_and_the_retired_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, older = secretbox.generate_key(), secretbox.generate_key()
    settings = Settings(secrets_key=TEST_SECRETS_KEY, secrets_retired_keys=f"{old}, {older}")
    keyring = settings.secrets_keyring
    assert keyring.current == secretbox.decode_key(TEST_SECRETS_KEY)
    assert keyring.retired == (secretbox.decode_key(old), secretbox.decode_key(older))


def test_the_secrets_key_is_generated_once_and_kept_outside_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLUICE_SECRETS_KEY", raising=False)
    first = Settings().secrets_keyring.current
    assert Settings().secrets_keyring.current == first
    stored = tmp_path / "var" / "secrets_key"
    assert secretbox.decode_key(stored.read_text()) == first
    assert stored.stat().st_mode & 0o777 == 0o600


def test_unknown_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        Settings(databse_url="typo")  # type: ignore[call-arg]


def test_production_refuses_stripe_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(f"SLUICE_{var}", raising=False)
    with pytest.raises(ValidationError, match="SLUICE_STRIPE_SECRET_KEY"):
        Settings(
            environment=Environment.production,
            database_url="postgresql://db/sluice",
            jwt_secret="x" * 40,
            secrets_key=TEST_SECRETS_KEY,
            stripe_enabled=True,
            stripe_webhook_secret="whsec_x",
        )
    # Without card payments, no Stripe keys are needed.
    assert not Settings(
        environment=Environment.production,
        database_url="postgresql://db/sluice",
        jwt_secret="x" * 40,
        secrets_key=TEST_SECRETS_KEY,
    ).stripe_enabled


@pytest.mark.parametrize("bps", ["-1", "10001"])
def test_the_platform_fee_is_between_0_and_100_percent(
    monkeypatch: pytest.MonkeyPatch, bps: str
) -> None:
    monkeypatch.setenv("SLUICE_PLATFORM_FEE_BPS", bps)
    with pytest.raises(ValidationError, match="platform_fee_bps"):
        Settings()


def test_a_misspelt_variable_stops_the_settings_naming_the_real_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLUICE_SANDBOX_TIMEOUT_SECOND", "5")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="did you mean SLUICE_SANDBOX_TIMEOUT_SECONDS"):
        get_settings()
    get_settings.cache_clear()


def test_the_app_does_not_start_with_an_unknown_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_MAX_UPLOAD_BYTE", "10")
    with pytest.raises(SettingsError, match="SLUICE_MAX_UPLOAD_BYTES"):
        create_app()


def test_the_cli_stops_with_the_closest_setting_named() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    result = subprocess.run(
        [sys.executable, "-m", "market.shell.cli", "audit", "verify"],
        env={**env, "SLUICE_SANDBOX_TIMEOUT_SECOND": "5", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "SLUICE_SANDBOX_TIMEOUT_SECONDS" in result.stdout


def test_the_test_suites_own_variables_are_not_settings() -> None:
    check_environment({"SLUICE_TEST_DATABASE_URL": "sqlite://", "SLUICE_DATA_DIR": "var/x"})

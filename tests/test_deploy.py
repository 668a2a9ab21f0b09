"""deploy/compose.yaml, the documented production topology, stays true to the settings.

The compose file is not run here (no images without a network), so this checks what can drift:
every ``SLUICE_*`` variable it sets or interpolates is a real setting (the same check that
stops the app at startup), every Sluice process gets the same settings, and the topology has
what the README promises (PostgreSQL, Redis, an object store, two API nodes, a worker, a beat).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ground.config import ENV_PREFIX, Settings, check_environment

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "deploy" / "compose.yaml"
SLUICE_SERVICES = ("api-1", "api-2", "worker", "beat", "migrate")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):  # the KEY=value list form
        return dict(item.split("=", 1) for item in environment)
    return {str(key): str(value) for key, value in environment.items()}


def test_every_sluice_variable_in_the_compose_file_is_a_real_setting(
    compose: dict[str, Any],
) -> None:
    named = {
        key
        for service in compose["services"].values()
        for key in _environment(service)
        if key.startswith(ENV_PREFIX)
    }
    interpolated = set(re.findall(r"\$\{(SLUICE_[A-Z0-9_]+)", COMPOSE.read_text()))
    assert named
    check_environment(dict.fromkeys(named | interpolated, "x"))


def test_a_misspelt_variable_would_be_caught() -> None:
    """The check above is the app's own: a wrong name does not pass it."""
    with pytest.raises(ValueError, match="SLUICE_STORAGE_URL"):
        check_environment({"SLUICE_STORAGE_ULR": "s3://bucket"})


def test_every_sluice_process_runs_on_the_shared_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "minio", *SLUICE_SERVICES} <= set(services)
    environments = [_environment(services[name]) for name in SLUICE_SERVICES]
    assert all(environment == environments[0] for environment in environments)
    shared = environments[0]
    assert shared["SLUICE_ENVIRONMENT"] == "production"
    assert shared["SLUICE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert shared["SLUICE_CELERY_BROKER_URL"].startswith("redis://")
    assert shared["SLUICE_STORAGE_URL"].startswith("s3://")


def test_the_compose_settings_are_accepted_by_the_settings_model(
    compose: dict[str, Any],
) -> None:
    """With the secrets the operator exports filled in, production settings validate."""
    values = {
        key.removeprefix(ENV_PREFIX).lower(): value
        for key, value in _environment(compose["services"]["api-1"]).items()
    }
    fillers = {
        "jwt_secret": "j" * 40,
        "secrets_key": "c2x1aWNlLXRlc3Qtc2VjcmV0cy1rZXktMzItYnl0ZXM=",
        "metrics_token": "m" * 20,
    }
    settings = Settings(**{**values, **fillers})
    assert settings.storage_endpoint_url == "http://minio:9000"

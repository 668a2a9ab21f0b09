"""``sluice secrets``: generate a key, see which keys seal what, rotate."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from accounts.models import User
from ground import secretbox
from ground.config import Settings
from listings import keys
from listings.models import Dataset
from market.shell.cli import app as cli_app
from tests.fixtures.factories import create_dataset
from tests.fixtures.settings import TEST_SECRETS_KEY, apply_settings

runner = CliRunner()


def _sealed(session: Session, dataset: Dataset) -> str:
    table = SQLModel.metadata.tables["dataset"]
    query = sa.select(table.c.pseudonym_secret).where(table.c.id == dataset.id)
    return str(session.execute(query).scalar_one())


def test_generate_key_prints_a_fresh_key_in_the_settings_format(settings: Settings) -> None:
    first = runner.invoke(cli_app, ["secrets", "generate-key"])
    second = runner.invoke(cli_app, ["secrets", "generate-key"])
    assert first.exit_code == 0, first.output
    assert len(secretbox.decode_key(first.output.strip())) == 32
    assert first.output != second.output


def test_rotate_reseals_under_the_new_key_and_status_shows_it(
    session: Session, settings: Settings, provider: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    session.commit()
    secret = keys.dataset_secret(dataset)
    old_id = settings.secrets_keyring.current_id
    rotated = apply_settings(
        monkeypatch,
        secrets_key=secretbox.generate_key(),
        secrets_retired_keys=TEST_SECRETS_KEY,
    )
    before = runner.invoke(cli_app, ["secrets", "status"])
    assert before.exit_code == 0, before.output
    assert old_id in before.output
    assert "retired" in before.output
    result = runner.invoke(cli_app, ["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Rotated" in result.output
    session.expire_all()
    assert _sealed(session, dataset).startswith(f"v1.{rotated.secrets_keyring.current_id}.")
    assert keys.dataset_secret(session.get_one(Dataset, dataset.id)) == secret
    after = runner.invoke(cli_app, ["secrets", "status"])
    assert old_id not in after.output
    assert "current" in after.output


def test_rotate_with_a_secret_under_an_unknown_key_changes_nothing(
    session: Session, settings: Settings, provider: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = create_dataset(session, settings, provider=provider)
    second = create_dataset(session, settings, provider=provider)
    session.commit()
    stored = {first.id: _sealed(session, first), second.id: _sealed(session, second)}
    # The operator forgot to list the old key as retired.
    apply_settings(monkeypatch, secrets_key=secretbox.generate_key())
    status = runner.invoke(cli_app, ["secrets", "status"])
    assert status.exit_code == 1
    assert "not configured" in status.output
    result = runner.invoke(cli_app, ["secrets", "rotate"])
    assert result.exit_code == 1
    assert "nothing changed" in result.output
    assert settings.secrets_keyring.current_id in result.output  # names the missing key
    session.expire_all()
    assert {first.id: _sealed(session, first), second.id: _sealed(session, second)} == stored

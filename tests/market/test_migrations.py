"""Alembic owns the schema: models and migrations agree, and every migration reverses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, make_url, text
from sqlmodel import SQLModel

from market import db, migrations
from tests.fixtures.database import database_url_for


def test_models_and_migrations_agree(engine: Engine) -> None:
    """The equivalent of `alembic check` on the database the suite runs on."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


@pytest.fixture
def scratch_url(tmp_path: Path, database_url: str) -> Iterator[str]:
    """A database of its own, so downgrading does not pull the schema from under other tests."""
    url = make_url(database_url_for(tmp_path))
    if url.get_backend_name() != "postgresql":
        yield url.render_as_string(hide_password=False)
        return
    name = "sluice_migration_check"
    admin = db.engine_for(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    scratch = url.set(database=name).render_as_string(hide_password=False)
    yield scratch
    db.engine_for(scratch).dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_every_migration_downgrades_and_upgrades_again(scratch_url: str) -> None:
    migrations.upgrade(scratch_url)
    scratch = db.engine_for(scratch_url)
    assert "dataset" in inspect(scratch).get_table_names()
    migrations.downgrade(scratch_url, "base")
    assert set(inspect(scratch).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(scratch_url)
    assert set(SQLModel.metadata.tables) <= set(inspect(scratch).get_table_names())

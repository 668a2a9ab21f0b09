"""Alembic owns the schema: models and migrations agree, and every migration reverses."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from market import db, migrations


def test_models_and_migrations_agree(engine: Engine) -> None:
    """The equivalent of `alembic check` on the database the suite runs on."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_every_migration_downgrades_and_upgrades_again(scratch_database_url: str) -> None:
    scratch_url = scratch_database_url
    migrations.upgrade(scratch_url)
    scratch = db.engine_for(scratch_url)
    assert "dataset" in inspect(scratch).get_table_names()
    migrations.downgrade(scratch_url, "base")
    assert set(inspect(scratch).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(scratch_url)
    assert set(SQLModel.metadata.tables) <= set(inspect(scratch).get_table_names())

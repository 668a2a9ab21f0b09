"""Running Alembic from code: the CLI, the demo and the test database use the same path."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

ROOT = Path(__file__).resolve().parents[2]
# Where an installed wheel carries the migrations (see pyproject's force-include).
PACKAGED = Path(__file__).resolve().parent / "_alembic"


def alembic_ini() -> Path:
    """The source tree's ``alembic.ini`` in a checkout, the packaged copy in an installed wheel."""
    for candidate in (ROOT / "alembic.ini", PACKAGED / "alembic.ini"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("alembic.ini is neither in the source tree nor in the package")


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(alembic_ini()))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "-1") -> None:
    command.downgrade(alembic_config(database_url), revision)

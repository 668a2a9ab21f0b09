"""seal datasets' pseudonym secrets at rest

`dataset.pseudonym_secret` held each dataset's secret as 64 hex digits in the clear; it now
holds the secret sealed by `ground.secretbox` (AES-256-GCM, `v1.<key id>.<payload>`, bound to
`dataset:<id>:pseudonym_secret`), so the database alone no longer yields anyone's keys.

The key: the migration seals with the key the application is configured with, read from the
settings like every other `sluice` command — SLUICE_SECRETS_KEY (and SLUICE_SECRETS_RETIRED_KEYS
to open on downgrade), or outside production the key generated into `var/secrets_key`. So set
the key before `sluice db upgrade`; in production a missing key stops the migration before
anything changes. A database without datasets needs no key at all.

The column is replaced in place (add the new one, fill it, drop the old one, rename): on
SQLite a batch would recreate `dataset`, which other tables' rows reference. The downgrade
opens every sealed secret and writes it back as hex (the same secret: pseudonyms unchanged).

Revision ID: 5a46e0707f30
Revises: 562567255192
Create Date: 2026-12-03 10:00:00.000000
"""

import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "5a46e0707f30"
down_revision: str | None = "562567255192"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HEX_SECRET = re.compile(r"^[0-9a-f]{64}$")


def _context(dataset_id: object) -> str:
    # Frozen here; tests check that it is still what `listings.keys.secret_context` binds.
    return f"dataset:{dataset_id}:pseudonym_secret"


def _keyring() -> Any:
    # Imported only when there is something to seal or open: an empty database migrates
    # without any key (the test suite builds its schema that way).
    from ground.config import get_settings

    return get_settings().secrets_keyring


def _replace_column(length: int, convert: Callable[[Any, object, str], str]) -> None:
    op.add_column(
        "dataset",
        sa.Column(
            "pseudonym_secret_new",
            sqlmodel.sql.sqltypes.AutoString(length=length),
            nullable=False,
            server_default="",
        ),
    )
    bind = op.get_bind()
    dataset = sa.table(
        "dataset",
        sa.column("id", sa.Uuid()),
        sa.column("pseudonym_secret", sa.String()),
        sa.column("pseudonym_secret_new", sa.String()),
    )
    rows = bind.execute(sa.select(dataset.c.id, dataset.c.pseudonym_secret)).all()
    if rows:
        keyring = _keyring()
        for dataset_id, stored in rows:
            bind.execute(
                dataset.update()
                .where(dataset.c.id == dataset_id)
                .values(pseudonym_secret_new=convert(keyring, dataset_id, stored))
            )
    op.drop_column("dataset", "pseudonym_secret")
    op.execute("ALTER TABLE dataset RENAME COLUMN pseudonym_secret_new TO pseudonym_secret")
    if bind.dialect.name != "sqlite":
        op.alter_column("dataset", "pseudonym_secret", server_default=None)


def _seal(keyring: Any, dataset_id: object, stored: str) -> str:
    if stored.startswith("v1."):
        keyring.open(stored, context=_context(dataset_id))  # already sealed: it must open
        return stored
    if not _HEX_SECRET.match(stored):
        raise RuntimeError(f"dataset {dataset_id} has no usable secret to seal")
    return str(keyring.seal(bytes.fromhex(stored), context=_context(dataset_id)))


def _unseal(keyring: Any, dataset_id: object, stored: str) -> str:
    return str(keyring.open(stored, context=_context(dataset_id)).hex())


def upgrade() -> None:
    _replace_column(255, _seal)


def downgrade() -> None:
    _replace_column(64, _unseal)

"""Idempotency records and console flashes.

- `idempotency_record`: one row per (principal, `Idempotency-Key`): the fingerprint of the
  first request (method, path, principal, body) and its response (status, sealed body, the
  headers a replay repeats), kept until `expires_at` (`SLUICE_IDEMPOTENCY_TTL_HOURS`; the beat
  task `idempotency.sweep_expired` deletes expired rows). Unique on (owner, key): two requests
  can never both claim a key.
- `console_flash`: what a console write leaves for the page it redirects to (a new API key's
  secret, sealed), for one user, deleted when read (post-redirect-get: a reload shows it no
  more).

Nothing to backfill: writes before this revision accepted no key. Downgrading drops the table:
keys sent afterwards are ignored (a repeated request repeats its write), as before, and a flash
not read yet is lost (its key still works; only the page showing it once is gone).

Revision ID: c4e1d2a9b7f3
Revises: 7c1e9a4d2b53
Create Date: 2026-12-03 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

import ground.db
from alembic import op

revision: str = "c4e1d2a9b7f3"
down_revision: str | None = "7c1e9a4d2b53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("response_headers", sa.String(), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", ground.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("owner", "key", name=op.f("uq_idempotency_record_owner_key")),
    )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "console_flash",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("expires_at", ground.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_console_flash_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_flash")),
    )
    with op.batch_alter_table("console_flash", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_flash_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("console_flash", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_flash_user_id"))
    op.drop_table("console_flash")
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_expires_at"))
    op.drop_table("idempotency_record")

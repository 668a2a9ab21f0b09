"""Standing emergency stops.

- `emergency_stop`: one row per stop placed on a buyer organization, a dataset or both (at
  least one, checked), standing while `lifted_at` is NULL, with who placed and lifted it and
  why. `ix_emergency_stop_standing` is a partial index over the standing ones only: the check
  every door (and every data API call) makes reads it.

Stops placed before this revision left no record but their audit entries (they revoked and
ended, but did not stand), so there is nothing to backfill. Downgrading drops the table: the
stops stop standing; what they revoked stays revoked, and their audit records stay.

Revision ID: 562567255192
Revises: 85ee68de496e
Create Date: 2026-12-03 09:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

import ground.db
from alembic import op

revision: str = "562567255192"
down_revision: str | None = "85ee68de496e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emergency_stop",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("buyer_org_id", sa.Uuid(), nullable=True),
        sa.Column("dataset_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revoked_count", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", ground.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by_id", sa.Uuid(), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "buyer_org_id IS NOT NULL OR dataset_id IS NOT NULL",
            name=op.f("ck_emergency_stop_has_scope"),
        ),
        sa.ForeignKeyConstraint(
            ["buyer_org_id"],
            ["organization.id"],
            name=op.f("fk_emergency_stop_buyer_org_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_emergency_stop_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_emergency_stop_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"], ["user.id"], name=op.f("fk_emergency_stop_lifted_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_stop")),
    )
    with op.batch_alter_table("emergency_stop", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_stop_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_emergency_stop_standing",
            ["buyer_org_id", "dataset_id"],
            unique=False,
            postgresql_where=sa.text("lifted_at IS NULL"),
            sqlite_where=sa.text("lifted_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("emergency_stop", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_emergency_stop_standing",
            postgresql_where=sa.text("lifted_at IS NULL"),
            sqlite_where=sa.text("lifted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_emergency_stop_created_at"))

    op.drop_table("emergency_stop")

"""Sandbox allotments: each grant split into the packs and compliance grants that made it.

- `sandbox_allotment`: one row per addition to a grant, with the entitlement of the sandbox
  pack that brought it (NULL for a compliance grant). Queries are charged to one allotment, so
  their ε is metered on the pack's entitlement.
- `privacy_ledger.allotment_id`: the allotment each entry charges (a query's reservation names
  the allotment it was charged to).

Existing grants become one allotment each, with the grant's totals, validity and source and no
entitlement (which pack paid for which query was not recorded), and their ledger entries are
charged to it. Downgrading drops the split; grant totals are unchanged either way.

Revision ID: 85ee68de496e
Revises: 11fc52992703
Create Date: 2026-11-30 11:13:26.345192
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import ground.db
from alembic import op

revision: str = "85ee68de496e"
down_revision: str | None = "11fc52992703"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sandbox_allotment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("entitlement_id", sa.Uuid(), nullable=True),
        sa.Column("epsilon_units", sa.BigInteger(), nullable=False),
        sa.Column("delta_units", sa.BigInteger(), nullable=False),
        sa.Column("queries", sa.Integer(), nullable=False),
        sa.Column("valid_until", ground.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", ground.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "delta_units >= 0", name=op.f("ck_sandbox_allotment_delta_not_negative")
        ),
        sa.CheckConstraint(
            "epsilon_units >= 0", name=op.f("ck_sandbox_allotment_epsilon_not_negative")
        ),
        sa.CheckConstraint("queries >= 0", name=op.f("ck_sandbox_allotment_queries_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_sandbox_allotment_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlement.id"],
            name=op.f("fk_sandbox_allotment_entitlement_id_entitlement"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sandbox_grant.id"],
            name=op.f("fk_sandbox_allotment_grant_id_sandbox_grant"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_allotment")),
        sa.UniqueConstraint("entitlement_id", name=op.f("uq_sandbox_allotment_entitlement_id")),
    )
    with op.batch_alter_table("sandbox_allotment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sandbox_allotment_grant_id"), ["grant_id"], unique=False
        )
    with op.batch_alter_table("privacy_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allotment_id", sa.Uuid(), nullable=True))

    _backfill()

    # SQLite rebuilds the table for this: nothing references privacy_ledger, so it can.
    with op.batch_alter_table("privacy_ledger", schema=None) as batch_op:
        batch_op.alter_column("allotment_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_privacy_ledger_allotment_id"), ["allotment_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_privacy_ledger_allotment_id_sandbox_allotment"),
            "sandbox_allotment",
            ["allotment_id"],
            ["id"],
        )


def _backfill() -> None:
    """One allotment per existing grant, charged with every entry of the grant's ledger."""
    when = ground.db.UTCDateTime(timezone=True)
    grant = sa.table(
        "sandbox_grant",
        sa.column("id", sa.Uuid()),
        sa.column("epsilon_total_units", sa.BigInteger()),
        sa.column("delta_total_units", sa.BigInteger()),
        sa.column("max_queries", sa.Integer()),
        sa.column("valid_until", when),
        sa.column("source", sa.String()),
        sa.column("note", sa.Text()),
        sa.column("created_by_id", sa.Uuid()),
        sa.column("created_at", when),
    )
    allotment = sa.table(
        "sandbox_allotment",
        sa.column("id", sa.Uuid()),
        sa.column("grant_id", sa.Uuid()),
        sa.column("epsilon_units", sa.BigInteger()),
        sa.column("delta_units", sa.BigInteger()),
        sa.column("queries", sa.Integer()),
        sa.column("valid_until", when),
        sa.column("source", sa.String()),
        sa.column("note", sa.Text()),
        sa.column("created_by_id", sa.Uuid()),
        sa.column("created_at", when),
    )
    ledger = sa.table(
        "privacy_ledger", sa.column("grant_id", sa.Uuid()), sa.column("allotment_id", sa.Uuid())
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(grant)).mappings().all():
        allotment_id = uuid.uuid4()
        bind.execute(
            allotment.insert().values(
                id=allotment_id,
                grant_id=row["id"],
                epsilon_units=row["epsilon_total_units"],
                delta_units=row["delta_total_units"],
                queries=row["max_queries"],
                valid_until=row["valid_until"],
                source=row["source"],
                note=row["note"],
                created_by_id=row["created_by_id"],
                created_at=row["created_at"],
            )
        )
        bind.execute(
            ledger.update().where(ledger.c.grant_id == row["id"]).values(allotment_id=allotment_id)
        )


def downgrade() -> None:
    with op.batch_alter_table("privacy_ledger", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_privacy_ledger_allotment_id_sandbox_allotment"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_privacy_ledger_allotment_id"))
        batch_op.drop_column("allotment_id")

    with op.batch_alter_table("sandbox_allotment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_allotment_grant_id"))

    op.drop_table("sandbox_allotment")

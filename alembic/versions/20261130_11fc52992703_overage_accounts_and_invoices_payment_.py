"""Overage accounts and invoices, payment anomalies, refundable sandbox budgets.

- `overage_account` / `overage_invoice`: use past an entitlement's quota, billed as orders
  (`order.kind = 'overage'`); `plan.overage_limit_units` caps what may be owed. Plans that
  already had an overage price get the default limit (100% of their quota); entitlements sold
  before this revision get no overage account: they were sold when overage was not billed, so
  their calls past the quota keep getting 429.
- `ledger_transaction.category` tells plan sales from overage (existing rows: `plan`);
  `usage_event` records the overage part of each call (existing rows: none).
- `payment_anomaly`: card payments captured but not credited (paid twice, paid after cancel,
  wrong amount), for operators to refund or resolve.
- `sandbox_grant` totals may reach 0, when a refunded sandbox pack takes its budget back.

Revision ID: 11fc52992703
Revises: 32196ffec6b1
Create Date: 2026-11-30 10:37:03.253678
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel

import ground.db
from alembic import op

revision: str = "11fc52992703"
down_revision: str | None = "32196ffec6b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_anomaly",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_org_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("external_ref", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "checkout_session_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
        ),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("order_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("webhook_event_id", sa.Uuid(), nullable=True),
        sa.Column("detected_at", ground.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refund_ref", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("resolution_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", ground.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "amount_minor >= 0", name=op.f("ck_payment_anomaly_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_org_id"],
            ["organization.id"],
            name=op.f("fk_payment_anomaly_buyer_org_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_payment_anomaly_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["order.id"], name=op.f("fk_payment_anomaly_order_id_order")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["user.id"], name=op.f("fk_payment_anomaly_resolved_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_event_id"],
            ["webhook_event.id"],
            name=op.f("fk_payment_anomaly_webhook_event_id_webhook_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_anomaly")),
        sa.UniqueConstraint(
            "method", "external_ref", name=op.f("uq_payment_anomaly_method_external_ref")
        ),
    )
    with op.batch_alter_table("payment_anomaly", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_anomaly_buyer_org_id"), ["buyer_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_anomaly_detected_at"), ["detected_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_anomaly_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_anomaly_status"), ["status"], unique=False)

    op.create_table(
        "overage_account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entitlement_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_org_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("provider_org_id", sa.Uuid(), nullable=False),
        sa.Column("quota_unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("limit_units", sa.BigInteger(), nullable=False),
        sa.Column("accrued_units", sa.BigInteger(), nullable=False),
        sa.Column("invoiced_units", sa.BigInteger(), nullable=False),
        sa.Column("settled_units", sa.BigInteger(), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "accrued_units - settled_units <= limit_units",
            name=op.f("ck_overage_account_within_limit"),
        ),
        sa.CheckConstraint("limit_units >= 0", name=op.f("ck_overage_account_limit_not_negative")),
        sa.CheckConstraint(
            "settled_units >= 0 AND settled_units <= invoiced_units "
            "AND invoiced_units <= accrued_units",
            name=op.f("ck_overage_account_settled_invoiced_accrued"),
        ),
        sa.CheckConstraint(
            "unit_price_minor > 0", name=op.f("ck_overage_account_unit_price_positive")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_org_id"],
            ["organization.id"],
            name=op.f("fk_overage_account_buyer_org_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_overage_account_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlement.id"],
            name=op.f("fk_overage_account_entitlement_id_entitlement"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organization.id"],
            name=op.f("fk_overage_account_provider_org_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overage_account")),
        sa.UniqueConstraint("entitlement_id", name=op.f("uq_overage_account_entitlement_id")),
    )
    with op.batch_alter_table("overage_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_overage_account_buyer_org_id"), ["buyer_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_overage_account_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_overage_account_provider_org_id"), ["provider_org_id"], unique=False
        )

    op.create_table(
        "overage_invoice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", ground.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("units > 0", name=op.f("ck_overage_invoice_units_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["overage_account.id"],
            name=op.f("fk_overage_invoice_account_id_overage_account"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["order.id"], name=op.f("fk_overage_invoice_order_id_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overage_invoice")),
        sa.UniqueConstraint("order_id", name=op.f("uq_overage_invoice_order_id")),
    )
    with op.batch_alter_table("overage_invoice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_overage_invoice_account_id"), ["account_id"], unique=False
        )

    with op.batch_alter_table("ledger_transaction", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("category", sa.String(length=20), server_default="plan", nullable=False)
        )

    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="purchase", nullable=False)
        )

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overage_limit_units", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(
            "overage_limit_positive", "overage_limit_units IS NULL OR overage_limit_units > 0"
        )
    plan = sa.table(
        "plan",
        sa.column("calls", sa.Integer()),
        sa.column("overage_price_minor", sa.BigInteger()),
        sa.column("overage_limit_units", sa.BigInteger()),
    )
    op.execute(
        plan.update()
        .where(plan.c.overage_price_minor.is_not(None), plan.c.overage_limit_units.is_(None))
        .values(overage_limit_units=plan.c.calls)
    )

    with op.batch_alter_table("sandbox_grant", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sandbox_grant_epsilon_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_sandbox_grant_max_queries_positive"), type_="check")
        batch_op.create_check_constraint("epsilon_not_negative", "epsilon_total_units >= 0")
        batch_op.create_check_constraint("max_queries_not_negative", "max_queries >= 0")

    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overage_units", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("overage_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("overage_minor")
        batch_op.drop_column("overage_units")

    # A grant emptied by a refund cannot hold 0 under the old constraints: it is ended (valid
    # until now) and kept at the smallest positive amount, which an ended grant cannot spend.
    grant = sa.table(
        "sandbox_grant",
        sa.column("epsilon_total_units", sa.BigInteger()),
        sa.column("max_queries", sa.Integer()),
        sa.column("valid_until", ground.db.UTCDateTime(timezone=True)),
    )
    emptied = sa.or_(grant.c.epsilon_total_units == 0, grant.c.max_queries == 0)
    op.execute(
        grant.update()
        .where(emptied)
        .values(
            epsilon_total_units=sa.case(
                (grant.c.epsilon_total_units == 0, 1), else_=grant.c.epsilon_total_units
            ),
            max_queries=sa.case((grant.c.max_queries == 0, 1), else_=grant.c.max_queries),
            valid_until=datetime.now(UTC),
        )
    )
    with op.batch_alter_table("sandbox_grant", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sandbox_grant_epsilon_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_sandbox_grant_max_queries_not_negative"), type_="check")
        batch_op.create_check_constraint("epsilon_positive", "epsilon_total_units > 0")
        batch_op.create_check_constraint("max_queries_positive", "max_queries > 0")

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_plan_overage_limit_positive"), type_="check")
        batch_op.drop_column("overage_limit_units")

    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_column("kind")

    with op.batch_alter_table("ledger_transaction", schema=None) as batch_op:
        batch_op.drop_column("category")

    with op.batch_alter_table("overage_invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overage_invoice_account_id"))

    op.drop_table("overage_invoice")
    with op.batch_alter_table("overage_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overage_account_provider_org_id"))
        batch_op.drop_index(batch_op.f("ix_overage_account_dataset_id"))
        batch_op.drop_index(batch_op.f("ix_overage_account_buyer_org_id"))

    op.drop_table("overage_account")
    with op.batch_alter_table("payment_anomaly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_anomaly_status"))
        batch_op.drop_index(batch_op.f("ix_payment_anomaly_order_id"))
        batch_op.drop_index(batch_op.f("ix_payment_anomaly_detected_at"))
        batch_op.drop_index(batch_op.f("ix_payment_anomaly_buyer_org_id"))

    op.drop_table("payment_anomaly")

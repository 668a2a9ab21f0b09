"""Delivery modes: what each dataset offers buyers (`rows`, `sandbox` or `both`).

- `dataset.delivery_mode`: declared by the provider at upload (or while the dataset is a draft
  or rejected). Every existing dataset becomes `both`, because that is exactly what it offered
  before this revision: masked rows through the data API (every listed dataset got a free
  sample of real masked rows) and the sandbox once a profile was approved. Choosing `rows` or
  `sandbox` for them would silently end entitlements buyers hold (row plans) or sandbox packs
  they bought; `both` keeps every entitlement working, and the listing review now shows
  compliance what the row release gives exactly. Providers narrow it on drafts.

Revision ID: 6b558778682e
Revises: 5a46e0707f30
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "6b558778682e"
down_revision: str | None = "5a46e0707f30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default fills every existing row (SQLite and PostgreSQL).
    op.add_column(
        "dataset",
        sa.Column("delivery_mode", sa.String(length=20), server_default="both", nullable=False),
    )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite >= 3.35): a batch copy of `dataset` would
    # drop the table other tables' foreign keys point at.
    op.drop_column("dataset", "delivery_mode")

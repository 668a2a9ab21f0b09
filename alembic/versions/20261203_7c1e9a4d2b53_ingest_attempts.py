"""Ingest attempts: how often a dataset's ingest was sent, and when the latest began.

- `dataset.ingest_attempts`: the upload's send counts as the first; the stuck-ingest sweep
  (`listings.recovery`) sends a stale ingest again while fewer than
  `SLUICE_INGEST_MAX_ATTEMPTS` were sent, then marks the dataset failed. Existing rows get 1.
- `dataset.ingest_started_at`: when the latest attempt was sent or began running (null for
  existing rows: the sweep then counts from `created_at`).

Revision ID: 7c1e9a4d2b53
Revises: 6b558778682e
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

import ground.db
from alembic import op

revision: str = "7c1e9a4d2b53"
down_revision: str | None = "6b558778682e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (a default fills existing rows on SQLite and PostgreSQL).
    op.add_column(
        "dataset", sa.Column("ingest_attempts", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "dataset",
        sa.Column("ingest_started_at", ground.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # DROP COLUMN in place (SQLite >= 3.35): a batch copy of `dataset` would drop the table
    # other tables' foreign keys point at.
    op.drop_column("dataset", "ingest_started_at")
    op.drop_column("dataset", "ingest_attempts")

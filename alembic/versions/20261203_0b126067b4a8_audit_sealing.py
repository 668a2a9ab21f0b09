"""Audit records appended without a lock, chained afterwards by a sealer.

- `audit_record.content_hash`: the SHA-256 of the record's fields, written with the record in
  the action's transaction. `seq`, `prev_hash` and `hash` become nullable: a record has them
  once the sealer (the `audit.seal` beat task, and every verification and export) has chained
  it, as `hash` = SHA-256(seq, prev_hash, content_hash). A partial index on (at, id) where
  `seq` is null is the sealer's work list.
- `audit_head.legacy_through`: the records already chained (seq up to the head's `last_seq`
  at upgrade time) keep their original hash formula and no content hash. They are not rehashed:
  head hashes already exported to regulators stay valid, and nothing needs verifying first.

Downgrading re-chains every record after `legacy_through` (sealed or not, in chain order,
then by time) with the original formula, so the code of the previous revision verifies the
whole log; it first checks each sealed record's hashes and refuses to re-chain a tampered log.

Revision ID: 0b126067b4a8
Revises: c4e1d2a9b7f3
Create Date: 2026-12-03 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

import ground.db
from alembic import op
from audit.chain import content_hash, legacy_record_hash, link_hash

revision: str = "0b126067b4a8"
down_revision: str | None = "c4e1d2a9b7f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
_FIELDS = (
    "at",
    "action",
    "actor_user_id",
    "actor_org_id",
    "actor_role",
    "dataset_id",
    "subject_id",
    "details",
)
audit_record = sa.table(
    "audit_record",
    sa.column("id", sa.Uuid()),
    sa.column("seq", sa.BigInteger()),
    sa.column("at", ground.db.UTCDateTime(timezone=True)),
    sa.column("action", sa.String()),
    sa.column("actor_user_id", sa.Uuid()),
    sa.column("actor_org_id", sa.Uuid()),
    sa.column("actor_role", sa.String()),
    sa.column("dataset_id", sa.Uuid()),
    sa.column("subject_id", sa.Uuid()),
    sa.column("details", sa.JSON()),
    sa.column("content_hash", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
audit_head = sa.table(
    "audit_head",
    sa.column("id", sa.Integer()),
    sa.column("last_seq", sa.BigInteger()),
    sa.column("last_hash", sa.String()),
    sa.column("legacy_through", sa.BigInteger()),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
    op.create_index(
        "ix_audit_record_unsealed",
        "audit_record",
        ["at", "id"],
        unique=False,
        sqlite_where=sa.text("seq IS NULL"),
        postgresql_where=sa.text("seq IS NULL"),
    )
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("legacy_through", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(audit_head.update().values(legacy_through=audit_head.c.last_seq))


def _refuse(seq: object) -> None:
    raise RuntimeError(
        f"Refusing to downgrade: audit record {seq} fails verification. Run "
        "`sluice audit verify`; re-chaining a tampered log with the old formula would hide it."
    )


def _rechain(conn: sa.Connection) -> None:
    """Give every record after ``legacy_through`` its seq and original-formula hash."""
    head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1)).one()
    prev = GENESIS_HASH
    if head.legacy_through:
        prev = conn.execute(
            sa.select(audit_record.c.hash).where(audit_record.c.seq == head.legacy_through)
        ).scalar_one()
    rows = conn.execute(
        sa.select(audit_record)
        .where(sa.or_(audit_record.c.seq.is_(None), audit_record.c.seq > head.legacy_through))
        .order_by(audit_record.c.seq.is_(None), audit_record.c.seq, audit_record.c.at)
        .order_by(audit_record.c.id)
    ).all()
    sealed_prev, seq, updates = prev, head.legacy_through, []
    # Every record checked before any is rewritten: a refusal leaves the log as it was.
    for row in rows:
        fields = {name: getattr(row, name) for name in _FIELDS}
        if row.content_hash != content_hash(**fields):
            _refuse(row.seq or row.id)
        if row.seq is not None:
            expected = link_hash(seq=row.seq, prev_hash=sealed_prev, content_hash=row.content_hash)
            if row.seq != seq + 1 or row.prev_hash != sealed_prev or row.hash != expected:
                _refuse(row.seq)
            sealed_prev = row.hash
        seq += 1
        new_hash = legacy_record_hash(seq=seq, prev_hash=prev, **fields)
        updates.append({"row_id": row.id, "seq": seq, "prev_hash": prev, "hash": new_hash})
        prev = new_hash
    if updates:
        conn.execute(
            audit_record.update()
            .where(audit_record.c.id == sa.bindparam("row_id"))
            .values(
                seq=sa.bindparam("seq"),
                prev_hash=sa.bindparam("prev_hash"),
                hash=sa.bindparam("hash"),
            ),
            updates,
        )
    conn.execute(
        audit_head.update().where(audit_head.c.id == 1).values(last_seq=seq, last_hash=prev)
    )


def downgrade() -> None:
    _rechain(op.get_bind())
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("legacy_through")
    op.drop_index(
        "ix_audit_record_unsealed",
        table_name="audit_record",
        sqlite_where=sa.text("seq IS NULL"),
        postgresql_where=sa.text("seq IS NULL"),
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("content_hash")

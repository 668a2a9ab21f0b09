"""Alembic owns the schema: models and migrations agree, and every migration reverses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect
from sqlmodel import SQLModel

from anonymize import derive_key
from ground import db, secretbox
from ground.config import Settings
from listings.keys import release_key, secret_context
from listings.models import Dataset
from market.shell import migrations
from tests.fixtures.settings import apply_settings


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


def _insert_provider(conn: Connection, org: uuid.UUID, user: uuid.UUID, now: datetime) -> None:
    """An organization and its provider user, as rows (the tables of every revision so far)."""
    meta = SQLModel.metadata
    conn.execute(
        meta.tables["organization"].insert(),
        {"id": org, "name": "o", "kind": "enterprise", "created_at": now},
    )
    conn.execute(
        meta.tables["user"].insert(),
        {"id": user, "email": "u@example.test", "full_name": "", "password_hash": "x",
         "role": "provider", "organization_id": org, "is_active": True, "created_at": now},
    )  # fmt: skip


def _insert_listed_dataset(
    conn: Connection, dataset: uuid.UUID, org: uuid.UUID, user: uuid.UUID, now: datetime
) -> None:
    """A provider (see ``_insert_provider``) and its listed dataset, as of the overage revision
    (before delivery modes: the model's default for that column is not inserted)."""
    _insert_provider(conn, org, user, now)
    columns = SQLModel.metadata.tables["dataset"].columns
    old_dataset = sa.table(
        "dataset", *(sa.column(c.name, c.type) for c in columns if c.name != "delivery_mode")
    )
    conn.execute(
        old_dataset.insert(),
        {"id": dataset, "provider_org_id": org, "created_by_id": user, "title": "t",
         "description": "", "domain": "d", "status": "listed", "file_path": "f",
         "original_filename": "f.csv", "source_format": "csv", "size_bytes": 1,
         "row_count": 1, "columns": [], "grade_reason": "", "source": "",
         "legal_basis": "", "pseudonym_secret": "0" * 64, "created_at": now,
         "updated_at": now},
    )  # fmt: skip


def test_the_policy_version_migration_backfills_existing_datasets(
    scratch_database_url: str, settings: Settings
) -> None:
    scratch_url = scratch_database_url
    migrations.upgrade(scratch_url, "43a7b03dce18")  # the revision before policy versions
    scratch = db.engine_for(scratch_url)
    # The models' tables bind UUIDs and JSON per dialect; inserts name only old columns.
    meta = SQLModel.metadata
    now = datetime.now(UTC)
    org, user = uuid.uuid4(), uuid.uuid4()
    draft = {"version": 1, "columns": {"a": {"operator": "redact"}}}
    approved = {"version": 1, "columns": {"a": {"operator": "keep"}}}
    common = {
        "provider_org_id": org,
        "created_by_id": user,
        "title": "t",
        "description": "",
        "domain": "d",
        "file_path": "f",
        "original_filename": "f.csv",
        "source_format": "csv",
        "size_bytes": 1,
        "row_count": 1,
        "columns": [],
        "created_at": now,
        "updated_at": now,
    }
    changed, fresh = uuid.uuid4(), uuid.uuid4()
    with scratch.begin() as conn:
        _insert_provider(conn, org, user, now)
        new = {"policy_version", "approved_policy_version", "pseudonym_secret"}
        old_dataset = sa.table(
            "dataset",
            *(
                sa.column(c.name, c.type)
                for c in meta.tables["dataset"].columns
                if c.name not in new
            ),
        )
        conn.execute(
            old_dataset.insert(),
            [
                {**common, "id": changed, "status": "listed", "policy": draft,
                 "approved_policy": approved},
                {**common, "id": fresh, "status": "processing", "policy": sa.null(),
                 "approved_policy": sa.null()},
            ],
        )  # fmt: skip
    migrations.upgrade(scratch_url)
    versions, datasets = meta.tables["policy_version"], meta.tables["dataset"]
    with scratch.connect() as conn:
        rows = conn.execute(
            sa.select(versions.c.version, versions.c.policy)
            .where(versions.c.dataset_id == changed)
            .order_by(versions.c.version)
        ).all()
        pointers = conn.execute(
            sa.select(
                datasets.c.policy_version,
                datasets.c.approved_policy_version,
                datasets.c.pseudonym_secret,
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, approved), (2, draft)]
    assert sorted((p[0], p[1]) for p in pointers if p[0] is not None) == [(2, 1)]
    # Each got a random secret of its own (sealed since the secrets-at-rest revision).
    with scratch.connect() as conn:
        sealed = conn.execute(sa.select(datasets.c.id, datasets.c.pseudonym_secret)).all()
    opened = {
        settings.secrets_keyring.open(value, context=secret_context(ident))
        for ident, value in sealed
    }
    assert len(opened) == 2
    assert all(len(secret) == 32 for secret in opened)


def test_the_overage_migration_backfills_limits_and_reverses_emptied_grants(
    scratch_database_url: str, settings: Settings
) -> None:
    """Plans priced for overage before limits existed get the default limit (their quota); a
    grant a refund emptied cannot go back under the old constraints, so the downgrade ends it."""
    migrations.upgrade(scratch_database_url, "32196ffec6b1")  # the revision before overage
    scratch = db.engine_for(scratch_database_url)
    meta, now = SQLModel.metadata, datetime.now(UTC)
    org, user, dataset, plan = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    old_plan = sa.table(
        "plan",
        *(sa.column(c.name, c.type) for c in meta.tables["plan"].columns
          if c.name != "overage_limit_units"),
    )  # fmt: skip
    with scratch.begin() as conn:
        _insert_listed_dataset(conn, dataset, org, user, now)
        conn.execute(
            old_plan.insert(),
            {"id": plan, "dataset_id": dataset, "name": "p", "description": "",
             "kind": "subscription", "calls": 500, "quota_unit": "calls", "price_minor": 100,
             "overage_price_minor": 3, "currency": "CNY", "is_active": True,
             "created_at": now, "updated_at": now},
        )  # fmt: skip
    migrations.upgrade(scratch_database_url)
    plans, grants = meta.tables["plan"], meta.tables["sandbox_grant"]
    with scratch.begin() as conn:
        limit = conn.execute(sa.select(plans.c.overage_limit_units)).scalar_one()
        conn.execute(
            grants.insert(),
            {"id": uuid.uuid4(), "buyer_org_id": org, "dataset_id": dataset,
             "epsilon_total_units": 0, "delta_total_units": 0, "max_queries": 0,
             "default_query_epsilon_units": 1, "source": "billing", "note": "",
             "created_at": now, "updated_at": now},
        )  # fmt: skip
    assert limit == 500
    migrations.downgrade(scratch_database_url, "32196ffec6b1")
    with scratch.connect() as conn:
        eps, queries, until = conn.execute(
            sa.select(grants.c.epsilon_total_units, grants.c.max_queries, grants.c.valid_until)
        ).one()
    assert (eps, queries) == (1, 1)
    assert until is not None


def test_the_allotment_migration_charges_existing_ledgers_to_one_allotment_per_grant(
    scratch_database_url: str, settings: Settings
) -> None:
    """Grants from before allotments become one allotment each, with the grant's totals, and
    their ledger entries are charged to it; the downgrade drops the split."""
    migrations.upgrade(scratch_database_url, "11fc52992703")  # the revision before allotments
    scratch = db.engine_for(scratch_database_url)
    meta, now = SQLModel.metadata, datetime.now(UTC)
    org, user, dataset = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    grant, query = uuid.uuid4(), uuid.uuid4()

    def before(name: str) -> sa.TableClause:
        columns = (sa.column(c.name, c.type) for c in meta.tables[name].columns)
        return sa.table(name, *(c for c in columns if c.name != "allotment_id"))

    with scratch.begin() as conn:
        _insert_listed_dataset(conn, dataset, org, user, now)
        conn.execute(
            meta.tables["sandbox_grant"].insert(),
            {"id": grant, "buyer_org_id": org, "dataset_id": dataset,
             "epsilon_total_units": 3_000_000, "delta_total_units": 7, "max_queries": 9,
             "default_query_epsilon_units": 1, "source": "billing", "note": "",
             "created_at": now, "updated_at": now},
        )  # fmt: skip
        conn.execute(
            meta.tables["sandbox_query"].insert(),
            {"id": query, "grant_id": grant, "buyer_org_id": org, "user_id": user,
             "dataset_id": dataset, "sql_text": "SELECT 1", "fingerprint": "f",
             "status": "succeeded", "epsilon_units": 500_000, "delta_units": 0,
             "created_at": now},
        )  # fmt: skip
        conn.execute(
            before("privacy_ledger").insert(),
            [{"id": uuid.uuid4(), "grant_id": grant, "query_id": query, "kind": kind,
              "epsilon_units": eps, "delta_units": 0, "created_at": now}
             for kind, eps in (("reserve", 500_000), ("commit", 0))],
        )  # fmt: skip
    migrations.upgrade(scratch_database_url)
    allotments, ledger = meta.tables["sandbox_allotment"], meta.tables["privacy_ledger"]
    with scratch.connect() as conn:
        [row] = conn.execute(sa.select(allotments)).mappings().all()
        charged = conn.execute(sa.select(ledger.c.allotment_id)).scalars().all()
    assert (row["grant_id"], row["entitlement_id"], row["source"]) == (grant, None, "billing")
    assert (row["epsilon_units"], row["delta_units"], row["queries"]) == (3_000_000, 7, 9)
    assert charged == [row["id"], row["id"]]
    migrations.downgrade(scratch_database_url, "11fc52992703")
    with scratch.connect() as conn:
        assert "sandbox_allotment" not in sa.inspect(conn).get_table_names()
        assert conn.execute(sa.select(before("privacy_ledger"))).all()


def _stored_secret(url: str, dataset: uuid.UUID) -> str:
    table = SQLModel.metadata.tables["dataset"]
    with db.engine_for(url).connect() as conn:
        return str(
            conn.execute(
                sa.select(table.c.pseudonym_secret).where(table.c.id == dataset)
            ).scalar_one()
        )


def test_the_secrets_migration_seals_plaintext_secrets_and_its_downgrade_restores_them(
    scratch_database_url: str, settings: Settings
) -> None:
    """The raw column never holds the secret after the upgrade; the app opens it to the same
    bytes, so every buyer's pseudonym key is unchanged; the downgrade writes the hex back."""
    migrations.upgrade(scratch_database_url, "85ee68de496e")  # the revision before sealing
    now, plaintext = datetime.now(UTC), "ab" * 32
    org, user, dataset = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with db.engine_for(scratch_database_url).begin() as conn:
        _insert_listed_dataset(conn, dataset, org, user, now)
        table = SQLModel.metadata.tables["dataset"]
        conn.execute(table.update().where(table.c.id == dataset).values(pseudonym_secret=plaintext))
    migrations.upgrade(scratch_database_url)
    sealed = _stored_secret(scratch_database_url, dataset)
    assert sealed.startswith(f"v1.{settings.secrets_keyring.current_id}.")
    assert plaintext not in sealed
    opened = settings.secrets_keyring.open(sealed, context=secret_context(dataset))
    assert opened == bytes.fromhex(plaintext)
    stored = Dataset(id=dataset, pseudonym_secret=sealed)  # type: ignore[call-arg]
    buyer = uuid.uuid4()
    assert release_key(stored, buyer) == derive_key(opened, "buyer", str(buyer))
    migrations.downgrade(scratch_database_url, "85ee68de496e")
    assert _stored_secret(scratch_database_url, dataset) == plaintext


def test_the_secrets_migration_refuses_a_wrong_key_and_changes_nothing(
    scratch_database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations.upgrade(scratch_database_url, "85ee68de496e")
    org, user, dataset = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with db.engine_for(scratch_database_url).begin() as conn:
        _insert_listed_dataset(conn, dataset, org, user, datetime.now(UTC))
    migrations.upgrade(scratch_database_url, "5a46e0707f30")  # the sealing revision itself
    sealed = _stored_secret(scratch_database_url, dataset)
    apply_settings(monkeypatch, secrets_key=secretbox.generate_key())
    with pytest.raises(secretbox.SecretsKeyError, match="neither SLUICE_SECRETS_KEY"):
        migrations.downgrade(scratch_database_url, "85ee68de496e")
    assert _stored_secret(scratch_database_url, dataset) == sealed
    with db.engine_for(scratch_database_url).connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "5a46e0707f30"


def test_the_delivery_mode_migration_makes_existing_datasets_offer_both(
    scratch_database_url: str,
) -> None:
    """Datasets from before delivery modes offered masked rows and the sandbox: they become
    ``both``, so no buyer's entitlement stops working; the downgrade drops the column."""
    migrations.upgrade(scratch_database_url, "5a46e0707f30")  # the revision before modes
    scratch = db.engine_for(scratch_database_url)
    dataset = uuid.uuid4()
    with scratch.begin() as conn:
        _insert_listed_dataset(conn, dataset, uuid.uuid4(), uuid.uuid4(), datetime.now(UTC))
    migrations.upgrade(scratch_database_url)
    datasets = SQLModel.metadata.tables["dataset"]
    with scratch.connect() as conn:
        mode = conn.execute(sa.select(datasets.c.delivery_mode)).scalar_one()
    assert mode == "both"
    migrations.downgrade(scratch_database_url, "5a46e0707f30")
    with scratch.connect() as conn:
        names = {c["name"] for c in sa.inspect(conn).get_columns("dataset")}
    assert "delivery_mode" not in names


def test_the_ingest_attempts_migration_counts_the_upload_as_the_first_attempt(
    scratch_database_url: str,
) -> None:
    """Existing datasets have had one ingest sent (their upload's) and no stamped start (the
    stuck-ingest sweep then counts from ``created_at``); the downgrade drops both columns."""
    migrations.upgrade(scratch_database_url, "6b558778682e")  # the revision before attempts
    scratch = db.engine_for(scratch_database_url)
    with scratch.begin() as conn:
        _insert_listed_dataset(conn, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), datetime.now(UTC))
    migrations.upgrade(scratch_database_url)
    datasets = SQLModel.metadata.tables["dataset"]
    with scratch.connect() as conn:
        row = conn.execute(
            sa.select(datasets.c.ingest_attempts, datasets.c.ingest_started_at)
        ).one()
    assert tuple(row) == (1, None)
    migrations.downgrade(scratch_database_url, "6b558778682e")
    with scratch.connect() as conn:
        names = {c["name"] for c in sa.inspect(conn).get_columns("dataset")}
    assert not {"ingest_attempts", "ingest_started_at"} & names

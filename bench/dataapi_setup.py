"""Setup for bench/dataapi.py: a fresh Sluice (database, files, a listed dataset, a buyer with a
key) built through the project's own migration command and services, and a count of the SQL
statements one data call makes.

Everything here is created by the harness and removed by it: the SQLite file lives in the
harness's temporary directory; the PostgreSQL database is created under a fixed name, marked
with a comment, and dropped at the end. A database of that name without the marker is refused,
never dropped (it is somebody else's).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, event, make_url, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accounts import service as accounts  # noqa: E402
from accounts.models import OrgKind, Role  # noqa: E402
from accounts.principal import Principal  # noqa: E402
from anonymize import synthetic  # noqa: E402
from billing import service as plans  # noqa: E402
from ground import config, db, secretbox, worker  # noqa: E402
from ground.db import unit_of_work  # noqa: E402
from ground.ops.logs import configure_logging  # noqa: E402
from listings import authorization, grading, review, storage  # noqa: E402
from listings import service as listings  # noqa: E402
from listings.models import DataGrade  # noqa: E402
from market.shell.app import create_app  # noqa: E402
from market.shell.wiring import wire  # noqa: E402
from trade import service as trade  # noqa: E402

PG_DATABASE = "sluice_bench"
PG_MARKER = "created by bench/dataapi.py; dropped by it"
# Large enough never to run out during a benchmark (the free plan's quota is a setting).
QUOTA = 10**9
PASSWORD = "bench-password-not-secret"
_SHAPE = re.compile(r"^\s*(SELECT|UPDATE|INSERT INTO|DELETE FROM)\b", re.IGNORECASE)
_TABLE = re.compile(r"\b(?:FROM|UPDATE|INTO)\s+\"?(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Seeded:
    dataset_id: uuid.UUID
    api_key: str
    parquet: Path
    rows: int
    columns: list[str]
    row_groups: int


# ---- databases ------------------------------------------------------------------------------


def _admin_url(server_url: str) -> str:
    return make_url(server_url).set(database="postgres").render_as_string(hide_password=False)


def _marker(conn: Connection) -> tuple[str | None] | None:
    """``None`` if ``sluice_bench`` does not exist, else a row with its comment."""
    row = conn.execute(
        text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
        {"n": PG_DATABASE},
    ).first()
    return None if row is None else (row[0],)


def create_pg_database(server_url: str) -> str:
    """Create ``sluice_bench`` and return its URL. A leftover of an interrupted run (it carries
    the marker) is dropped first; any other database of that name stops the harness."""
    admin = create_engine(_admin_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            comment = _marker(conn)
            if comment is not None:
                if comment[0] != PG_MARKER:
                    raise SystemExit(
                        f"The database {PG_DATABASE!r} exists and was not created by this "
                        "harness: refusing to touch it. Drop it yourself or point --pg-url "
                        "at another server."
                    )
                print(f"dropping {PG_DATABASE!r}, left over by an interrupted run", flush=True)
                conn.execute(text(f"DROP DATABASE {PG_DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
            conn.execute(text(f"COMMENT ON DATABASE {PG_DATABASE} IS '{PG_MARKER}'"))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=PG_DATABASE).render_as_string(hide_password=False)


def dispose(database_url: str) -> None:
    """Close this process's pooled connections to ``database_url``."""
    db.engine_for(database_url).dispose()


def drop_pg_database(server_url: str) -> None:
    """Drop ``sluice_bench`` if it carries the harness's marker (only then is it ours)."""
    db.engine_for(
        make_url(server_url).set(database=PG_DATABASE).render_as_string(hide_password=False)
    ).dispose()
    admin = create_engine(_admin_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            comment = _marker(conn)
            if comment is not None and comment[0] == PG_MARKER:
                conn.execute(text(f"DROP DATABASE {PG_DATABASE} WITH (FORCE)"))
    finally:
        admin.dispose()


# ---- environment and migration ------------------------------------------------------------


def sluice_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """The ``SLUICE_*`` variables of the harness and of the servers it starts: this checkout's
    code (PYTHONPATH), in-process tasks (no broker), fixed secrets so every process agrees."""
    return {
        "SLUICE_ENVIRONMENT": "development",
        "SLUICE_DATABASE_URL": database_url,
        "SLUICE_DATA_DIR": str(data_dir),
        "SLUICE_JWT_SECRET": "bench-jwt-secret-" + "x" * 40,
        "SLUICE_SECRETS_KEY": secretbox.generate_key(),
        "SLUICE_FREE_PLAN_CALLS": str(QUOTA),
    }


def server_environment(sluice: dict[str, str], **extra: str) -> dict[str, str]:
    """The harness's environment minus any ``SLUICE_*`` of the caller's shell, plus ours."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    return {**base, **sluice, "PYTHONPATH": str(ROOT), **extra}


def apply_in_process(sluice: dict[str, str]) -> config.Settings:
    for key in [k for k in os.environ if k.startswith("SLUICE_")]:
        del os.environ[key]
    # The servers log every request (to their log files); this process's TestClient need not.
    os.environ.update({**sluice, "SLUICE_LOG_LEVEL": "WARNING"})
    config.get_settings.cache_clear()
    settings = config.get_settings()
    configure_logging(settings)
    worker.configure_celery(settings)
    return settings


def migrate(sluice: dict[str, str], log: Path) -> None:
    """``sluice db upgrade``, the project's migration command, on this checkout's code."""
    sluice_cli = Path(sys.executable).with_name("sluice")
    with log.open("ab") as out:
        done = subprocess.run(
            [str(sluice_cli), "db", "upgrade"],
            cwd=ROOT,
            env=server_environment(sluice),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise RuntimeError(f"sluice db upgrade failed; see {log}")


# ---- the marketplace ------------------------------------------------------------------------


def people_csv(rows: int) -> bytes:
    """8 columns, 4 of them sensitive (name, resident ID, mobile, e-mail) so masking runs."""
    rng = np.random.default_rng(20261203)
    table = pa.table(
        {
            "姓名": synthetic.chinese_names(rng, rows),
            "身份证号": synthetic.resident_ids(rng, rows),
            "手机号": synthetic.mobiles(rng, rows),
            "邮箱": synthetic.emails(rng, rows),
            "城市": rng.choice(["北京", "上海", "广州", "深圳", "杭州"], rows).tolist(),
            "参保类型": rng.choice(["城镇职工", "城乡居民", "灵活就业"], rows).tolist(),
            "缴费基数": rng.integers(3_500, 35_000, rows).tolist(),
            "参保日期": rng.choice(
                np.array([f"20{y:02d}-{m:02d}-15" for y in range(5, 25) for m in range(1, 13)]),
                rows,
            ).tolist(),
        }
    )
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def _principal(user: Any) -> Principal:
    return Principal(user_id=user.id, org_id=user.organization_id, role=Role(user.role))


def seed(settings: config.Settings, rows: int) -> Seeded:
    """Provider, compliance and buyer; the dataset uploaded, profiled, reviewed and listed (it
    gets the free plan, whose quota is ``SLUICE_FREE_PLAN_CALLS`` = 10^9); the buyer's order
    on it (active at once) and an API key. All through the services, as the demo does."""
    wire()
    people = {
        "provider": (OrgKind.government, Role.provider),
        "compliance": (OrgKind.platform, Role.compliance),
        "buyer": (OrgKind.enterprise, Role.buyer),
    }
    with unit_of_work() as session:
        users = {}
        for name, (kind, role) in people.items():
            org = accounts.create_organization(session, name=f"bench {name}", kind=kind)
            users[name] = accounts.create_user(
                session,
                email=f"{name}@bench.sluice",
                password=PASSWORD,
                role=role,
                organization_id=org.id,
            )
    provider, compliance, buyer = (_principal(users[n]) for n in people)
    with unit_of_work() as session:
        dataset_id = listings.create_dataset(
            session,
            provider,
            source=io.BytesIO(people_csv(rows)),
            filename="bench_people.csv",
            title="Benchmark people register",
            description="Synthetic rows for bench/dataapi.py",
            domain="social_security",
            settings=settings,
        ).id
    with unit_of_work() as session:  # idempotent: the in-process ingest task has profiled it
        listings.profile_dataset(session, dataset_id, settings.data_dir)
    with unit_of_work() as session:
        authorization.set_authorization(
            session, provider, dataset_id, source="benchmark", legal_basis="synthetic data"
        )
        grading.propose_grade(
            session, provider, dataset_id, grade=DataGrade.general, level=2, reason="synthetic"
        )
        listings.submit(session, provider, dataset_id)
        review.approve(
            session,
            compliance,
            dataset_id,
            grade=DataGrade.general,
            grade_level=2,
            checklist=dict.fromkeys(review.CHECKLIST, True),
            note="benchmark",
        )
    with unit_of_work() as session:
        (free_plan,) = plans.plans_for(session, dataset_id)
        _order, entitlement = trade.place_order(
            session, buyer, dataset_id=dataset_id, plan_id=free_plan.id, usage_scenario="性能测试"
        )
        if entitlement is None or entitlement.quota_total != QUOTA:
            raise RuntimeError("the buyer's free-plan order did not give a 10^9-unit entitlement")
        api_key = accounts.create_api_key(session, buyer, name="bench")[1]
        dataset = listings.get_listed(session, dataset_id)
        parquet = storage.resolve(settings.data_dir, dataset.file_path)
        columns = [str(c["name"]) for c in dataset.columns]
        row_count = int(dataset.row_count)
    return Seeded(dataset_id, api_key, parquet, row_count, columns, _row_groups(parquet))


def _row_groups(path: Path) -> int:
    return int(pq.ParquetFile(path).metadata.num_row_groups)


# ---- SQL statements per call ----------------------------------------------------------------


def statement_shape(statement: str) -> str:
    """``SELECT api_key``, ``UPDATE audit_head``: the verb and the first table named."""
    flat = " ".join(statement.split())
    verb = _SHAPE.match(flat)
    table = _TABLE.search(flat)
    if verb is None:
        return flat[:60]
    return f"{verb.group(1).upper()} {table.group(1) if table else '?'}"


def count_statements(
    database_url: str, seeded: Seeded, *, calls: int = 20, seed_value: int = 1
) -> dict[str, Any]:
    """Statements the app sends through SQLAlchemy during ``calls`` data calls, in this process
    with the FastAPI TestClient on the benchmark's database. Not seen here: the driver's own
    BEGIN/COMMIT, SQLite's ``BEGIN IMMEDIATE`` (issued on the raw cursor by ground.db) and the
    pool's pre-ping; commits are counted separately (SQLAlchemy's ``commit`` event)."""
    engine = db.engine_for(database_url)
    statements: list[str] = []
    commits = [0]

    def on_execute(*args: Any) -> None:
        statements.append(args[2])

    def on_commit(_conn: Any) -> None:
        commits[0] += 1

    rng = np.random.default_rng(seed_value)
    path = f"/api/v1/data/{seeded.dataset_id}/rows"
    headers = {"X-API-Key": seeded.api_key}
    with TestClient(create_app()) as client:
        client.get(path, params={"limit": 100, "offset": 0}, headers=headers)  # warm-up
        event.listen(engine, "before_cursor_execute", on_execute)
        event.listen(engine, "commit", on_commit)
        try:
            for _ in range(calls):
                offset = int(rng.integers(0, max(1, seeded.rows - 100)))
                response = client.get(
                    path, params={"limit": 100, "offset": offset}, headers=headers
                )
                if response.status_code != 200:
                    raise RuntimeError(f"data call failed: {response.status_code} {response.text}")
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
            event.remove(engine, "commit", on_commit)
    shapes = Counter(statement_shape(s) for s in statements)
    return {
        "calls": calls,
        "statements_per_call": len(statements) / calls,
        "commits_per_call": commits[0] / calls,
        "shapes_per_call": {k: v / calls for k, v in shapes.most_common()},
        "distinct_statements": sorted({" ".join(s.split()) for s in statements}),
    }

"""The suite never destroys what it did not create: it runs only on a database dedicated to it.

Building the test schema drops the database's ``public`` schema. So the suite takes its
PostgreSQL database from ``SLUICE_TEST_DATABASE_URL`` only (never the application's
``SLUICE_DATABASE_URL``) and refuses any database whose name does not end in ``_test``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from ground import db
from tests.fixtures.database import (
    TEST_DATABASE_ENV,
    NotATestDatabase,
    check_test_database,
    is_postgresql,
)

ROOT = Path(__file__).resolve().parent.parent
# A quick test that needs the suite's database (it migrates it first).
PROBE = "tests/ground/test_db_unit_of_work.py"


def _run_suite_probe(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", PROBE],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        "postgresql+psycopg://postgres@127.0.0.1:5432/sluice",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test_sluice",
    ],
)
def test_a_database_not_named_for_tests_is_refused(url: str) -> None:
    with pytest.raises(NotATestDatabase, match="_test"):
        check_test_database(url)


def test_dedicated_test_databases_are_accepted(tmp_path: Path) -> None:
    for url in (
        "postgresql+psycopg://postgres@127.0.0.1:5432/sluice_test",
        f"sqlite:///{tmp_path / 'x.db'}",
    ):
        assert check_test_database(url) == url


@pytest.fixture
def foreign_postgres_database(database_url: str) -> Iterator[str]:
    """A PostgreSQL database that is not the suite's, with a table that must survive."""
    if not is_postgresql(database_url):
        pytest.skip("needs PostgreSQL (set SLUICE_TEST_DATABASE_URL)")
    name = f"sluice_foreign_{uuid.uuid4().hex[:10]}"
    server = make_url(database_url)
    admin = db.engine_for(server.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = server.set(database=name).render_as_string(hide_password=False)
    foreign = db.engine_for(url)
    with foreign.begin() as conn:
        conn.execute(text("CREATE TABLE precious (value text)"))
        conn.execute(text("INSERT INTO precious VALUES ('keep me')"))
    try:
        yield url
    finally:
        foreign.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_the_suite_refuses_to_run_on_a_database_not_dedicated_to_it(
    foreign_postgres_database: str,
) -> None:
    result = _run_suite_probe({TEST_DATABASE_ENV: foreign_postgres_database})
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "_test" in result.stdout + result.stderr
    with db.engine_for(foreign_postgres_database).connect() as conn:
        assert conn.execute(text("SELECT value FROM precious")).scalars().all() == ["keep me"]


def test_the_application_database_setting_is_never_the_suites(tmp_path: Path) -> None:
    app_db = tmp_path / "application.db"
    with sqlite3.connect(app_db) as conn:
        conn.execute("CREATE TABLE precious (value text)")
        conn.execute("INSERT INTO precious VALUES ('keep me')")
    result = _run_suite_probe({"SLUICE_DATABASE_URL": f"sqlite:///{app_db}"})
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(app_db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert tables == ["precious"]
        assert conn.execute("SELECT value FROM precious").fetchall() == [("keep me",)]

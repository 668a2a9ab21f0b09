"""A hostile buyer's corpus: every query is refused or stopped with a clear 4xx, nothing raw
comes back, and a query refused before reading data costs nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ground.config import Settings
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_sandbox_buyer, create_sandbox_dataset, sandbox_table
from tests.fixtures.settings import apply_settings

REFUSED = [
    # raw rows and raw values
    "SELECT * FROM dataset",
    "SELECT 身份证号 FROM dataset",
    "SELECT 身份证号, 金额 FROM dataset LIMIT 5",
    "SELECT * EXCLUDE (身份证号) FROM dataset",
    "SELECT COLUMNS('.*') FROM dataset",
    "SELECT DISTINCT 城市 FROM dataset",
    "SELECT count(DISTINCT 身份证号) FROM dataset",
    "SELECT max(身份证号) FROM dataset",
    "SELECT string_agg(身份证号, ',') FROM dataset",
    "SELECT list(身份证号) FROM dataset",
    "SELECT any_value(身份证号) FROM dataset",
    "SELECT first(金额) FROM dataset",
    "SELECT sum(金额) OVER () FROM dataset",
    "SELECT sum(身份证号) FROM dataset",
    # file readers and table functions
    "SELECT count(*) FROM read_csv_auto('/etc/passwd')",
    "SELECT count(*) FROM read_parquet('/tmp/*.parquet')",
    "SELECT count(*) FROM '/etc/passwd'",
    "SELECT count(*) FROM read_text('/etc/hostname')",
    "SELECT count(*) FROM glob('/*')",
    "SELECT count(*) FROM range(1000000000000)",
    # statements other than SELECT
    "COPY dataset TO '/tmp/out.csv'",
    "ATTACH '/tmp/x.db' AS x",
    "PRAGMA database_list",
    "SET enable_external_access = true",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CREATE MACRO leak(x) AS x",
    "DELETE FROM dataset",
    "UPDATE dataset SET 金额 = 0",
    "EXPORT DATABASE '/tmp/x'",
    "CALL pragma_version()",
    # catalogs and other tables
    "SELECT count(*) FROM information_schema.tables",
    "SELECT count(*) FROM duckdb_tables()",
    "SELECT count(*) FROM pg_catalog.pg_class",
    "SELECT count(*) FROM sqlite_master",
    "SELECT count(*) FROM other_dataset",
    "SELECT count(*) FROM main.dataset",
    "SELECT count(*) FROM dataset a JOIN dataset b ON true",
    "SELECT count(*) FROM dataset, dataset d2",
    # multiple statements and injection through identifiers and string literals
    "SELECT count(*) FROM dataset; DROP TABLE dataset",
    "SELECT count(*) FROM dataset; SELECT * FROM dataset",
    "SELECT count(*) FROM dataset WHERE 城市 = ''; SELECT 身份证号 FROM dataset --'",
    'SELECT count(*) FROM "dataset""; SELECT * FROM dataset; --"',
    'SELECT count("身份证号"") FROM dataset --") FROM dataset',
    "SELECT count(*) FROM dataset WHERE 城市 LIKE 身份证号",
    # subqueries and CTEs
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
    "WITH x AS (SELECT * FROM dataset) SELECT count(*) FROM x",
    "SELECT count(*) FROM (SELECT * FROM dataset) t",
    "SELECT count(*) FROM dataset WHERE 身份证号 IN (SELECT 身份证号 FROM dataset)",
    "SELECT count(*) FROM dataset UNION SELECT count(*) FROM dataset",
    # functions, UDFs, casts and value-dependent failures
    "SELECT my_udf(金额) FROM dataset",
    "SELECT count(*) FROM dataset WHERE getenv('HOME') = 'x'",
    "SELECT count(*) FROM dataset WHERE current_setting('threads') = 1",
    "SELECT count(*), version() FROM dataset",
    "SELECT count(*) FROM dataset WHERE regexp_matches(身份证号, '^11')",
    "SELECT count(*) FROM dataset WHERE CAST(身份证号 AS INTEGER) > 0",
    "SELECT count(*) FROM dataset WHERE 身份证号 = 5",
    "SELECT sum(金额 / (age - age)) FROM dataset",
    "SELECT sum(金额 * 0) FROM dataset",
    # clauses outside the allow-list
    "SELECT count(*) FROM dataset HAVING count(*) > 3",
    "SELECT 城市, count(*) FROM dataset GROUP BY 城市 HAVING count(*) > 1",
    "SELECT 城市 || 身份证号, count(*) FROM dataset GROUP BY 1",
    "SELECT count(*) FROM dataset LIMIT 1 OFFSET 1",
    "SELECT count(*) FROM dataset ORDER BY 身份证号",
    "SELECT quantile(金额, 2) FROM dataset",
    "SELECT 城市, count(*) FROM dataset GROUP BY CUBE (城市)",
    "",
]


@pytest.fixture
def sandbox(
    client: TestClient, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, dict[str, str]]:
    settings = apply_settings(monkeypatch, sandbox_max_groups="10")
    dataset, _, _ = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset)
    session.commit()
    return str(dataset.id), bearer(buyer, settings)


def _raw_values() -> list[str]:
    table = sandbox_table()
    return [str(v) for v in table.column("身份证号").to_pylist()]


def _budget(client: TestClient, headers: dict[str, str]) -> dict[str, float]:
    return client.get("/api/v1/sandbox/budget", headers=headers).json()["items"][0]


def test_the_corpus_is_large_enough() -> None:
    assert len(REFUSED) >= 40


@pytest.mark.parametrize("sql", REFUSED)
def test_hostile_query_is_refused_free_of_charge(
    client: TestClient, sandbox: tuple[str, dict[str, str]], sql: str
) -> None:
    dataset_id, headers = sandbox
    response = client.post(
        "/api/v1/sandbox/queries", json={"dataset_id": dataset_id, "sql": sql}, headers=headers
    )
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["detail"]
    assert body["detail_zh"]
    assert not any(value in response.text for value in _raw_values())
    budget = _budget(client, headers)
    assert budget["epsilon_spent"] == 0
    assert budget["queries_used"] == 0


def test_too_long_query_text_is_refused(
    client: TestClient, sandbox: tuple[str, dict[str, str]]
) -> None:
    dataset_id, headers = sandbox
    sql = "SELECT count(*) FROM dataset WHERE " + " OR ".join(["age = 1"] * 5000)
    response = client.post(
        "/api/v1/sandbox/queries", json={"dataset_id": dataset_id, "sql": sql}, headers=headers
    )
    assert response.status_code == 422
    assert _budget(client, headers)["queries_used"] == 0


def test_group_explosion_answers_only_noisy_groups_and_never_fails(
    client: TestClient, sandbox: tuple[str, dict[str, str]]
) -> None:
    """Grouping by the person column yields more groups than the configured cap (10). This
    used to fail ("too many groups"), a bit about the data outside the noise; now the groups
    are chosen by noisy threshold, at most the cap are kept, and the query succeeds: a
    single person's group never reaches the threshold, so no ID comes back."""
    dataset_id, headers = sandbox
    response = client.post(
        "/api/v1/sandbox/queries",
        json={
            "dataset_id": dataset_id,
            "sql": "SELECT 身份证号, count(*) FROM dataset GROUP BY 身份证号",
            "epsilon": 0.5,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["grouping"] == "threshold"
    assert len(result["rows"]) <= 10
    assert not any(value in response.text for value in _raw_values())
    assert _budget(client, headers)["epsilon_spent"] == 0.5


def test_string_literal_injection_stays_a_literal(
    client: TestClient, sandbox: tuple[str, dict[str, str]]
) -> None:
    """A quote inside a literal is data for the comparison, never SQL: nothing matches it."""
    dataset_id, headers = sandbox
    sql = "SELECT count(*) AS n FROM dataset WHERE 城市 = '北京'' OR 1=1 --'"
    response = client.post(
        "/api/v1/sandbox/queries",
        json={"dataset_id": dataset_id, "sql": sql, "epsilon": 1.0},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    (row,) = response.json()["result"]["rows"]
    assert set(row) == {"n"}

"""A sandbox query that fails after reading data is logged by class and query id, never with
the engine's or the release's message (it can quote the data it read)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ground.config import Settings
from sandbox import engine, release
from sandbox.models import SandboxQuery
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_sandbox_buyer, create_sandbox_dataset, sandbox_table
from tests.fixtures.logs import LogOutput

FAILED = "sandbox query failed after reading data; charged"


def _quoting(value: str) -> dict[str, Any]:
    """Failures whose message quotes a value, as DuckDB's conversion errors do."""
    return {
        "engine": (
            engine,
            "stream",
            duckdb.ConversionException(f"Could not convert string '{value}' to INT32"),
            "ConversionException",
        ),
        "release": (
            release,
            "release",
            ValueError(f"unexpected group key {value!r}"),
            "ValueError",
        ),
    }


@pytest.mark.parametrize("where", ["engine", "release"])
def test_a_failure_after_reading_is_logged_by_class_and_query_id_only(
    client: TestClient,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    log_output: LogOutput,
    where: str,
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset)
    session.commit()
    value = str(sandbox_table().column("身份证号")[0])
    module, name, error, error_class = _quoting(value)[where]

    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(module, name, fail)
    response = client.post(
        "/api/v1/sandbox/queries",
        headers={**bearer(buyer, settings), "X-Request-ID": "5b00000000000001"},
        json={"dataset_id": str(dataset.id), "sql": "SELECT COUNT(*) FROM dataset"},
    )
    assert response.status_code == 422, response.text
    assert value not in response.text
    query = session.exec(select(SandboxQuery).where(SandboxQuery.dataset_id == dataset.id)).one()
    [line] = log_output.events(FAILED)
    assert line["query_id"] == str(query.id)
    assert line["error_class"] == error_class
    assert line["exception"]["type"].endswith(error_class)
    assert (line["level"], line["request_id"]) == ("warning", "5b00000000000001")
    assert value not in log_output.text

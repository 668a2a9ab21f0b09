"""Storage that scales out: separate processes share dataset files through an S3 server.

A local S3-compatible server (moto's server mode) stands in for the object store. Two API
processes (uvicorn, as ``sluice serve`` runs it) and a Celery worker each get their own empty
data directory, as separate machines would: the upload lands on the first API node, the worker
fetches the file to profile it, the second API node serves rows and sandbox answers from its
own verified cache, and a tampered cache file is found and fetched again. Without moto or
Redis these tests skip, unless ``CI`` is set: then they fail, so CI always exercises the
object-store path.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from celery.result import AsyncResult

from accounts.models import OrgKind, Role, User
from ground import worker
from ground.config import Settings
from ground.db import unit_of_work
from ground.storage import ObjectStorage, StoreConfig
from listings.models import Dataset
from sandbox import profiles
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    SANDBOX_PROFILE,
    activate_plan,
    create_api_key,
    create_org,
    create_sandbox_buyer,
    create_user,
    csv_bytes,
    list_dataset,
    principal_of,
    sandbox_table,
)
from tests.fixtures.servers import wait_until_answers
from tests.fixtures.settings import apply_settings
from tests.fixtures.worker import REDIS_URL, ROOT, WORKER_COMMAND

BUCKET = "sluice-test"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must exercise the object-store path, but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    log: Path


def _start(command: list[str], log: Path, env: dict[str, str]) -> Started:
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Started(process, log)


def _stop(started: Started) -> None:
    started.process.terminate()
    try:
        started.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        started.process.kill()
        started.process.wait()


@pytest.fixture
def s3_endpoint(tmp_path: Path) -> Iterator[str]:
    """A local S3 server (moto) with an empty bucket, in a process of its own."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        _unavailable("moto is not installed (the dev dependencies include moto[s3])")
    port = _free_port()
    server = _start(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        tmp_path / "s3.log",
        dict(os.environ),
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{endpoint}/moto-api/", server.process, server.log)
        # Creating a bucket needs no signature on moto; a real deployment creates it once.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT"))
        yield endpoint
    finally:
        _stop(server)


@pytest.fixture
def s3_settings(
    redis_settings: Settings, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """``redis_settings`` (a committed SQLite database, Redis, a queue of the test's own) with
    the object store; this process's data directory is one more empty node cache."""
    return apply_settings(
        monkeypatch,
        storage_url=f"s3://{BUCKET}/sluice",
        storage_endpoint_url=s3_endpoint,
        storage_region="us-east-1",
        storage_access_key_id="testing",
        storage_secret_access_key="testing-secret",
    )


def _node_env(data_dir: Path) -> dict[str, str]:
    # The settings fixtures exported every SLUICE_* variable; each node differs only in its
    # data directory (its cache) and logs JSON lines the test can read.
    return {**os.environ, "SLUICE_DATA_DIR": str(data_dir), "SLUICE_LOG_FORMAT": "json"}


@dataclass
class Cluster:
    api_a: str
    api_b: str
    caches: dict[str, Path]
    logs: dict[str, Path]


@pytest.fixture
def cluster(s3_settings: Settings, tmp_path: Path) -> Iterator[Cluster]:
    """Two API processes and a Celery worker, each with its own empty data directory."""
    started: list[Started] = []
    caches = {name: tmp_path / f"cache-{name}" for name in ("api_a", "api_b", "worker")}
    ports = {"api_a": _free_port(), "api_b": _free_port()}
    try:
        for name, port in ports.items():
            command = [sys.executable, "-m", "market.shell.cli", "serve", "--port", str(port)]
            started.append(_start(command, tmp_path / f"{name}.log", _node_env(caches[name])))
        started.append(_start(WORKER_COMMAND, tmp_path / "worker.log", _node_env(caches["worker"])))
        for port, node in zip(ports.values(), started, strict=False):
            wait_until_answers(f"http://127.0.0.1:{port}/healthz", node.process, node.log)
        yield Cluster(
            api_a=f"http://127.0.0.1:{ports['api_a']}",
            api_b=f"http://127.0.0.1:{ports['api_b']}",
            caches=caches,
            logs={name: tmp_path / f"{name}.log" for name in caches},
        )
    finally:
        for node in started:
            _stop(node)
        _drop_queue(s3_settings.celery_queue)


def _drop_queue(queue: str) -> None:
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def _store(settings: Settings) -> ObjectStorage:
    store = StoreConfig.of(settings).connect()
    assert store is not None
    return store


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _log_events(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@dataclass
class Parties:
    provider: User
    reviewer: User


def _parties() -> Parties:
    with unit_of_work() as session:
        provider = create_user(
            session, role=Role.provider, org=create_org(session, kind=OrgKind.government)
        )
        reviewer = create_user(session, role=Role.compliance)
    return Parties(provider, reviewer)


def _upload_and_ingest(cluster: Cluster, settings: Settings, provider: User) -> uuid.UUID:
    """Upload through API node A; wait for the worker's ingest task."""
    response = httpx.post(
        f"{cluster.api_a}/api/v1/datasets",
        headers=bearer(provider, settings),
        files={"file": ("people.csv", csv_bytes(sandbox_table()), "text/csv")},
        data={"title": "Shared storage", "domain": "test"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    dataset_id = uuid.UUID(response.json()["id"])
    with unit_of_work() as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        task_id = dataset.ingest_task_id
    outcome = AsyncResult(task_id, app=worker.celery_app).get(timeout=120)
    assert outcome == "draft", cluster.logs["worker"].read_text()[-3000:]
    return dataset_id


def _list_with_sandbox(dataset_id: uuid.UUID, parties: Parties, settings: Settings) -> str:
    """Listed, sandbox profile approved (its bounded copy written by this process): returns
    the relative path of the bounded copy."""
    with unit_of_work() as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        list_dataset(session, dataset, provider=parties.provider, reviewer=parties.reviewer)
        profiles.declare(
            session,
            principal_of(parties.provider),
            dataset_id,
            dict(SANDBOX_PROFILE),
            settings.data_dir,
        )
        profile = profiles.approve(session, principal_of(parties.reviewer), dataset_id, settings)
        assert profile.approved is not None
        bounded = profile.approved["bounded_file"]
    assert bounded, "the sample data has more rows per person than the profile allows"
    return str(bounded)


def _buyer_with_rows_and_budget(
    dataset_id: uuid.UUID, parties: Parties, settings: Settings
) -> tuple[User, str]:
    """A buyer with an active rows plan, a data API key and a sandbox budget."""
    with unit_of_work() as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        buyer = create_sandbox_buyer(session, settings, dataset)
        activate_plan(session, buyer, dataset, parties.provider)
        key = create_api_key(session, buyer)
    return buyer, key


def _query(cluster: Cluster, headers: dict[str, str], dataset_id: uuid.UUID, sql: str) -> None:
    response = httpx.post(
        f"{cluster.api_b}/api/v1/sandbox/queries",
        json={"dataset_id": str(dataset_id), "sql": sql, "epsilon": 0.5},
        headers=headers,
        timeout=60,
    )
    assert response.status_code == 200, response.text


def _sandbox_reads_verified_copies(
    cluster: Cluster, settings: Settings, buyer: User, dataset_id: uuid.UUID, bounded: str
) -> None:
    headers = bearer(buyer, settings)
    expected = _store(settings).checksum(bounded)
    cached = cluster.caches["api_b"] / bounded

    _query(cluster, headers, dataset_id, "SELECT COUNT(*) AS n FROM dataset")
    assert _sha256(cached) == expected
    # Someone on node B swaps the bounded copy for the dataset's unbounded file (every row of
    # every person): the next query must not read it.
    with unit_of_work() as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        unbounded = (cluster.caches["api_b"] / dataset.file_path).read_bytes()
    cached.write_bytes(unbounded)
    _query(cluster, headers, dataset_id, "SELECT SUM(金额) AS total FROM dataset")
    assert _sha256(cached) == expected
    warnings = [
        line
        for line in _log_events(cluster.logs["api_b"])
        if line.get("event") == "cached file failed verification; fetching it again"
    ]
    assert [line["key"] for line in warnings] == [bounded]


def test_nodes_with_separate_caches_share_files_through_the_object_store(
    cluster: Cluster, s3_settings: Settings
) -> None:
    """Upload on API node A, ingest on the worker, rows and sandbox answers on API node B;
    B's sandbox reads a verified copy, and a tampered one is found and fetched again. (One
    test: starting the processes is the expensive part.)"""
    parties = _parties()
    dataset_id = _upload_and_ingest(cluster, s3_settings, parties.provider)
    with unit_of_work() as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        relpath = dataset.file_path
    # API node A kept the upload in the store; the worker fetched it, converted it and wrote
    # the Parquet file, which the store holds with the writer's checksum. The kept upload is
    # gone from the store once the dataset is profiled.
    written = cluster.caches["worker"] / relpath
    assert not (cluster.caches["api_a"] / relpath).exists()
    store = _store(s3_settings)
    assert store.list_prefix(f"datasets/{dataset_id}/") == [relpath]
    assert store.checksum(relpath) == _sha256(written)

    bounded = _list_with_sandbox(dataset_id, parties, s3_settings)
    buyer, key = _buyer_with_rows_and_budget(dataset_id, parties, s3_settings)
    assert not (cluster.caches["api_b"] / relpath).exists()
    response = httpx.get(
        f"{cluster.api_b}/api/v1/data/{dataset_id}/rows",
        params={"limit": 5},
        headers={"X-API-Key": key},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert len(page["rows"]) == 5
    assert page["total_rows"] == sandbox_table().num_rows
    assert _sha256(cluster.caches["api_b"] / relpath) == _sha256(written)

    _sandbox_reads_verified_copies(cluster, s3_settings, buyer, dataset_id, bounded)

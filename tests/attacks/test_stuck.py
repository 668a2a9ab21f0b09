"""Attack: leave things stuck or orphaned, and delete what is not yours.

A worker killed mid-ingest must not leave a dataset ``processing`` forever, nor a killed upload
its staging file: the operator's beat tasks (run here as the beat would, the clock moved past
the stale limit instead of waiting) send a stale ingest again or fail it with a reason its
provider reads, and sweep orphaned files while keeping young ones. The provider then deletes
the failed dataset over HTTP; nobody else can (404, existence does not leak), and a listed
dataset cannot be deleted at all (409, unchanged). Everything else goes through HTTP.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ground.config import Settings
from ground.db import utcnow
from ground.worker import celery_app
from listings import tasks as listing_tasks
from tests.attacks.harness import Account, Outsider, csv_of
from tests.fixtures.settings import apply_settings

ROWS = [["city", "amount"], *[[f"city-{i % 4}", 100 + i] for i in range(12)]]


@pytest.fixture
def killed_ingests() -> Iterator[Callable[[], None]]:
    """Until the returned function is called, every ingest sent is lost as if its worker died
    before finishing: the dataset stays ``processing`` with nothing profiled."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(celery_app.tasks["listings.ingest"], "apply_async", lambda *a, **k: None)
        yield patch.undo


def _later(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> datetime:
    """The beat tasks' clock moved just past the stale limit (no wall-clock sleep)."""
    later = utcnow() + timedelta(minutes=settings.ingest_stale_minutes + 1)
    monkeypatch.setattr(listing_tasks, "utcnow", lambda: later)
    return later


def _delete(outsider: Outsider, account: Account, dataset_id: str) -> int:
    response = outsider.client.delete(f"/api/v1/datasets/{dataset_id}", headers=account.headers)
    if response.status_code != 204:
        assert response.json()["detail_zh"], response.text
    return response.status_code


def _status(outsider: Outsider, provider: Account, dataset_id: str) -> str:
    return str(outsider.get(provider, f"/api/v1/datasets/{dataset_id}")["status"])


def test_a_killed_ingest_fails_with_a_reason_and_only_its_provider_deletes_it(
    outsider: Outsider,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    killed_ingests: Callable[[], None],
) -> None:
    provider, other = outsider.account("provider"), outsider.account("provider")
    buyer = outsider.account("buyer")
    dataset = outsider.uploaded(provider, csv_of(ROWS), title="Killed mid-ingest")
    dataset_id = dataset["id"]
    assert dataset["status"] == "processing"
    stored = settings.data_dir / "datasets" / dataset_id
    assert stored.is_dir()

    # While it may still be ingesting, nobody deletes it; strangers learn nothing.
    assert _delete(outsider, provider, dataset_id) == 409
    assert _delete(outsider, other, dataset_id) == 404
    assert _delete(outsider, buyer, dataset_id) == 404
    assert _status(outsider, provider, dataset_id) == "processing"

    settings = apply_settings(monkeypatch, ingest_max_attempts="1")
    _later(monkeypatch, settings)
    assert listing_tasks.recover_stuck_ingests.delay().get() == {"resent": 0, "failed": 1}
    failed = outsider.get(provider, f"/api/v1/datasets/{dataset_id}")
    assert failed["status"] == "failed"
    assert "interrupted" in failed["ingest_error"]
    assert "导入被中断" in failed["ingest_error"]

    assert _delete(outsider, other, dataset_id) == 404
    assert _delete(outsider, buyer, dataset_id) == 404
    assert _status(outsider, provider, dataset_id) == "failed"
    assert _delete(outsider, provider, dataset_id) == 204
    gone = outsider.client.get(f"/api/v1/datasets/{dataset_id}", headers=provider.headers)
    assert gone.status_code == 404
    listed = outsider.get(provider, "/api/v1/datasets")
    assert dataset_id not in {d["id"] for d in listed["items"]}
    assert not stored.exists()
    assert _delete(outsider, provider, dataset_id) == 404  # deleting twice finds nothing


def test_a_stale_ingest_is_sent_again_and_finishes(
    outsider: Outsider,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    killed_ingests: Callable[[], None],
) -> None:
    provider = outsider.account("provider")
    dataset_id = outsider.uploaded(provider, csv_of(ROWS), title="Lost message")["id"]
    killed_ingests()  # the workers are back
    _later(monkeypatch, settings)
    assert listing_tasks.recover_stuck_ingests.delay().get() == {"resent": 1, "failed": 0}
    dataset = outsider.get(provider, f"/api/v1/datasets/{dataset_id}")
    assert dataset["status"] == "draft"
    assert {c["name"] for c in dataset["columns"]} == {"city", "amount"}


def test_a_listed_dataset_cannot_be_deleted_by_anyone(
    outsider: Outsider, settings: Settings
) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    dataset_id = outsider.uploaded(provider, csv_of(ROWS), title="Listed")["id"]
    outsider.list_dataset(provider, compliance, dataset_id)

    refused = outsider.client.delete(f"/api/v1/datasets/{dataset_id}", headers=provider.headers)
    assert refused.status_code == 409
    assert "suspend" in refused.json()["detail"]
    assert _delete(outsider, buyer, dataset_id) == 404
    assert _delete(outsider, compliance, dataset_id) == 403

    assert _status(outsider, provider, dataset_id) == "listed"
    catalog = outsider.get(buyer, "/api/v1/catalog")
    assert dataset_id in {d["id"] for d in catalog["items"]}
    assert outsider.preview(buyer, dataset_id).status_code == 200
    assert (settings.data_dir / "datasets" / dataset_id).is_dir()


def _aged(path: Path, *, minutes: float) -> Path:
    stamp = (utcnow() - timedelta(minutes=minutes)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_the_sweep_removes_old_orphans_and_keeps_young_files(
    outsider: Outsider, settings: Settings
) -> None:
    provider = outsider.account("provider")
    dataset_id = outsider.uploaded(provider, csv_of(ROWS), title="Kept")["id"]
    grace = settings.orphan_grace_minutes
    staging = settings.data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    killed_upload = staging / f"{uuid.uuid4().hex}.upload"
    killed_upload.write_bytes(b"city,amount\n" * 100)
    _aged(killed_upload, minutes=grace + 5)
    in_flight = staging / f"{uuid.uuid4().hex}.upload"
    in_flight.write_bytes(b"city,amount\n")
    _aged(in_flight, minutes=grace - 5)
    orphan = settings.data_dir / "datasets" / str(uuid.uuid4())
    orphan.mkdir(parents=True)
    (orphan / "data.parquet").write_bytes(b"PAR1")
    _aged(orphan / "data.parquet", minutes=grace + 5)
    _aged(orphan, minutes=grace + 5)
    kept = settings.data_dir / "datasets" / dataset_id
    for path in [*kept.rglob("*"), kept]:
        _aged(path, minutes=grace + 5)  # old, but its dataset exists

    swept = listing_tasks.sweep_orphaned_files.delay().get()
    assert swept == {"staging_files": 1, "dataset_directories": 1, "temporary_files": 0}
    assert not killed_upload.exists()
    assert in_flight.exists()
    assert not orphan.exists()
    assert kept.is_dir()
    assert outsider.preview(provider, dataset_id).status_code == 200

"""The storage interface: the embedded directory, an object store behind a verified cache.

The object-store behaviour is the same whatever the store speaks, so these tests use a shared
directory (``file://``) as the store; tests/flows/test_object_storage.py runs the same code
against a local S3 server, across processes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from ground.config import Settings
from ground.storage import (
    CHECKSUM_SUFFIX,
    LocalStorage,
    NodeFiles,
    ObjectStorage,
    Storage,
    StorageUnavailable,
    StoreConfig,
    node_files,
)

KEY = "datasets/0001/data.parquet"
CONTENT = b"PAR1 the dataset's bytes PAR1"


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "bucket"


@pytest.fixture
def store(store_dir: Path) -> ObjectStorage:
    connected = StoreConfig(url=f"file://{store_dir}").connect()
    assert connected is not None
    return connected


def _node(tmp_path: Path, name: str, store: ObjectStorage) -> NodeFiles:
    return NodeFiles(data_dir=tmp_path / name, store=store)


def _write(node: NodeFiles, relpath: str = KEY, content: bytes = CONTENT) -> Path:
    path = node.local_path(relpath)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_a_published_file_is_fetched_into_another_nodes_empty_cache(
    tmp_path: Path, store: ObjectStorage
) -> None:
    api, worker = _node(tmp_path, "api", store), _node(tmp_path, "worker", store)
    _write(api)
    api.publish(KEY)
    assert not worker.local_path(KEY).exists()
    assert worker.ensure_local(KEY).read_bytes() == CONTENT


def test_the_store_keeps_the_writers_checksum_beside_the_file(
    tmp_path: Path, store: ObjectStorage, store_dir: Path
) -> None:
    api = _node(tmp_path, "api", store)
    _write(api)
    api.publish(KEY)
    stored = (store_dir / (KEY + CHECKSUM_SUFFIX)).read_text()
    assert stored == hashlib.sha256(CONTENT).hexdigest()


def test_a_tampered_cache_file_is_detected_and_fetched_again(
    tmp_path: Path, store: ObjectStorage
) -> None:
    api, reader = _node(tmp_path, "api", store), _node(tmp_path, "reader", store)
    _write(api)
    api.publish(KEY)
    cached = reader.ensure_local(KEY)
    # Same size, other bytes: only the checksum tells them apart.
    cached.write_bytes(CONTENT.replace(b"dataset", b"DATASET"))
    assert reader.ensure_local(KEY).read_bytes() == CONTENT


def test_a_truncated_cache_file_is_fetched_again(tmp_path: Path, store: ObjectStorage) -> None:
    api, reader = _node(tmp_path, "api", store), _node(tmp_path, "reader", store)
    _write(api)
    api.publish(KEY)
    reader.ensure_local(KEY).write_bytes(CONTENT[:4])
    assert reader.ensure_local(KEY).read_bytes() == CONTENT


def test_a_stored_file_that_fails_verification_is_refused_and_not_cached(
    tmp_path: Path, store: ObjectStorage, store_dir: Path
) -> None:
    api, reader = _node(tmp_path, "api", store), _node(tmp_path, "reader", store)
    _write(api)
    api.publish(KEY)
    (store_dir / KEY).write_bytes(b"altered in the store")
    with pytest.raises(StorageUnavailable):
        reader.ensure_local(KEY)
    assert not reader.local_path(KEY).exists()
    assert list(reader.local_path(KEY).parent.iterdir()) == []  # no partial download left


def test_a_file_the_store_does_not_have_is_a_missing_path(
    tmp_path: Path, store: ObjectStorage
) -> None:
    assert not _node(tmp_path, "reader", store).ensure_local(KEY).exists()


def test_remove_deletes_the_file_from_the_store_and_the_cache(
    tmp_path: Path, store: ObjectStorage
) -> None:
    api, reader = _node(tmp_path, "api", store), _node(tmp_path, "reader", store)
    _write(api)
    api.publish(KEY)
    api.remove(KEY)
    assert not api.local_path(KEY).exists()
    assert not store.exists(KEY)
    assert not reader.ensure_local(KEY).exists()


def test_embedded_mode_reads_and_writes_the_data_directory_alone(tmp_path: Path) -> None:
    node = NodeFiles(data_dir=tmp_path / "data", store=None)
    path = _write(node)
    node.publish(KEY)
    assert node.ensure_local(KEY) == path
    node.remove(KEY)
    assert not path.exists()


@pytest.mark.parametrize("kind", ["local", "object"])
def test_both_storages_keep_the_same_contract(tmp_path: Path, kind: str) -> None:
    backend: Storage
    if kind == "local":
        backend = LocalStorage(tmp_path / "root")
    else:
        connected = StoreConfig(url=f"file://{tmp_path / 'bucket'}").connect()
        assert connected is not None
        backend = connected
    source = tmp_path / "upload.bin"
    source.write_bytes(CONTENT)
    assert backend.put_file(source, KEY) == hashlib.sha256(CONTENT).hexdigest()
    backend.put_file(source, "datasets/0002/data.parquet")
    assert backend.exists(KEY)
    assert backend.list_prefix("datasets/") == [KEY, "datasets/0002/data.parquet"]
    dest = tmp_path / "copy" / "data.parquet"
    assert backend.get_to_local(KEY, dest)
    assert dest.read_bytes() == CONTENT
    backend.delete(KEY)
    backend.delete(KEY)  # a missing key is not an error
    assert not backend.exists(KEY)
    assert not backend.get_to_local(KEY, tmp_path / "none")


def test_node_files_are_one_per_configuration_and_directory(
    settings: Settings, tmp_path: Path
) -> None:
    assert node_files(settings, tmp_path / "a") is node_files(settings, tmp_path / "a")
    assert node_files(settings, tmp_path / "a") is not node_files(settings, tmp_path / "b")
    assert node_files(settings, tmp_path / "a").store is None  # the embedded default


def test_the_secret_key_never_appears_in_the_configurations_text() -> None:
    config = StoreConfig(url="s3://bucket", secret_access_key="do-not-print-me")
    assert "do-not-print-me" not in repr(config)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"storage_url": "ftp://host/dir"}, "SLUICE_STORAGE_URL"),
        ({"storage_url": "bucket/prefix"}, "SLUICE_STORAGE_URL"),
        ({"storage_endpoint_url": "minio:9000"}, "SLUICE_STORAGE_ENDPOINT_URL"),
    ],
)
def test_a_malformed_storage_setting_stops_startup(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)  # type: ignore[arg-type]


def test_s3_settings_are_accepted() -> None:
    settings = Settings(
        storage_url="s3://sluice-data/prod",
        storage_endpoint_url="http://minio:9000",
        storage_region="us-east-1",
        storage_access_key_id="sluice",
        storage_secret_access_key="not-a-real-secret",  # type: ignore[arg-type]
    )
    assert StoreConfig.of(settings).connect() is not None

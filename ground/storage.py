"""Where dataset files are kept: one interface over the node's disk or an object store.

Files are named by a relative path (``datasets/<id>/data.parquet``) and written once: a changed
file gets a new name (listings.storage), so a copy that verifies is never stale.

- **Embedded** (``SLUICE_STORAGE_URL`` empty, the default): the data directory is the store.
  Nothing is copied; one machine runs the API and the worker.
- **Object store** (``s3://bucket/prefix``, or ``file:///shared/dir``): the store is the source
  of truth and ``SLUICE_DATA_DIR`` is only this node's cache. A writer uploads each file with a
  SHA-256 of its bytes (a ``.sha256`` object beside it, written after the file); a reader
  downloads a missing file into its cache and keeps it only if the digest matches. A cached
  file is re-hashed whenever its inode, size, mtime or ctime changed since this process last
  verified it (any write changes the ctime, which no user-space call can set back), so a
  tampered or truncated cache file is found and fetched again; a download that still does not
  match is refused (503), never read.

The client is obstore (Rust's ``object_store``): multipart uploads and streamed downloads, so
neither direction holds a whole file in memory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import obstore
from obstore.store import LocalStore, S3Store

from ground.config import Settings
from ground.errors import SluiceError
from ground.ops.logs import get_logger

if TYPE_CHECKING:
    from obstore.store import S3Config

log = get_logger(__name__)

CHECKSUM_SUFFIX = ".sha256"
_CHUNK = 1024 * 1024


class StorageUnavailable(SluiceError, ConnectionError):
    """The object store did not answer, or a file from it failed verification. A
    ConnectionError, so a task that meets it is retried (ground.worker.TRANSIENT_ERRORS)."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "The dataset's stored file is not available right now; try again later.",
            "数据集的存储文件暂不可用，请稍后再试。",
        )


class Storage(Protocol):
    """A store of files by key (a relative path with ``/``)."""

    def put_file(self, local: Path, key: str) -> str:
        """Store ``local``'s bytes under ``key``; returns their SHA-256 (hex)."""
        ...

    def get_to_local(self, key: str, dest: Path) -> bool:
        """Copy ``key`` to ``dest`` (atomically, verified); False when there is no such key."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...

    def list_prefix(self, prefix: str) -> list[str]:
        """Keys under ``prefix`` (checksum objects excluded), sorted."""
        ...


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _staging_name(dest: Path) -> Path:
    # Unique per writer: two processes fetching the same file never write into each other's.
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")


@dataclass(frozen=True)
class LocalStorage:
    """Files under a directory of this machine: the embedded default (the data directory)."""

    root: Path

    def _path(self, key: str) -> Path:
        return self.root / key

    def put_file(self, local: Path, key: str) -> str:
        target = self._path(key)
        if local.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = _staging_name(target)
            shutil.copyfile(local, staged)
            os.replace(staged, target)
        return sha256_of(target)

    def get_to_local(self, key: str, dest: Path) -> bool:
        source = self._path(key)
        if not source.exists():
            return False
        if source.resolve() != dest.resolve():
            dest.parent.mkdir(parents=True, exist_ok=True)
            staged = _staging_name(dest)
            shutil.copyfile(source, staged)
            os.replace(staged, dest)
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_prefix(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())


@dataclass(frozen=True)
class ObjectStorage:
    """Any store obstore speaks (S3 and S3-compatible ones such as MinIO or Ceph, or a shared
    directory), with a SHA-256 object beside each file."""

    store: S3Store | LocalStore

    def put_file(self, local: Path, key: str) -> str:
        digest = sha256_of(local)
        try:
            obstore.put(self.store, key, local)
            # The checksum goes last: a reader that finds it finds the whole file.
            obstore.put(self.store, key + CHECKSUM_SUFFIX, digest.encode())
        except Exception as exc:
            log.error("object store upload failed", key=key, exc_info=exc)
            raise StorageUnavailable() from exc
        return digest

    def checksum(self, key: str) -> str | None:
        try:
            return bytes(obstore.get(self.store, key + CHECKSUM_SUFFIX).bytes()).decode().strip()
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.error("object store unreachable", key=key, exc_info=exc)
            raise StorageUnavailable() from exc

    def get_to_local(self, key: str, dest: Path) -> bool:
        expected = self.checksum(key)
        if expected is None:
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        staged = _staging_name(dest)
        try:
            actual = self._download(key, staged)
            if actual != expected:
                log.error("downloaded file failed verification", key=key)
                raise StorageUnavailable()
            os.replace(staged, dest)
        finally:
            staged.unlink(missing_ok=True)
        return True

    def _download(self, key: str, staged: Path) -> str:
        digest = hashlib.sha256()
        try:
            with staged.open("wb") as out:
                for chunk in obstore.get(self.store, key):
                    digest.update(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            log.error("checksum present but file missing", key=key)
            raise StorageUnavailable() from None
        except OSError as exc:
            log.error("object store download failed", key=key, exc_info=exc)
            raise StorageUnavailable() from exc
        return digest.hexdigest()

    def exists(self, key: str) -> bool:
        return self.checksum(key) is not None

    def delete(self, key: str) -> None:
        try:
            obstore.delete(self.store, key + CHECKSUM_SUFFIX)
            obstore.delete(self.store, key)
        except FileNotFoundError:
            return
        except Exception as exc:
            log.error("object store delete failed", key=key, exc_info=exc)
            raise StorageUnavailable() from exc

    def list_prefix(self, prefix: str) -> list[str]:
        keys = [
            str(meta["path"])
            for batch in obstore.list(self.store, prefix)
            for meta in batch
            if not str(meta["path"]).endswith(CHECKSUM_SUFFIX)
        ]
        return sorted(keys)


@dataclass
class NodeFiles:
    """This node's view of the files: a cache directory in front of a store, or (embedded)
    the directory alone. Thread-safe; one per process and data directory."""

    data_dir: Path
    store: ObjectStorage | None
    _verified: dict[Path, tuple[int, ...]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def local_path(self, relpath: str) -> Path:
        return self.data_dir / relpath

    def publish(self, relpath: str) -> None:
        """Upload a file just written to the cache, so other nodes can read it."""
        if self.store is None:
            return
        path = self.local_path(relpath)
        self.store.put_file(path, relpath)
        self._remember(path)
        log.info("file published", key=relpath, size_bytes=path.stat().st_size)

    def ensure_local(self, relpath: str) -> Path:
        """A verified local copy of ``relpath``: fetched into the cache when missing or when
        the cached bytes no longer match the writer's checksum. The path may not exist when
        the store has no such file (callers already treat a missing file as "no data")."""
        path = self.local_path(relpath)
        if self.store is None or self._still_verified(path):
            return path
        expected = self.store.checksum(relpath)
        if expected is None:
            return path
        if path.is_file():
            if sha256_of(path) == expected:
                self._remember(path)
                return path
            log.warning("cached file failed verification; fetching it again", key=relpath)
        self.store.get_to_local(relpath, path)
        self._remember(path)
        log.info("file fetched into the cache", key=relpath)
        return path

    def remove(self, relpath: str) -> None:
        """Remove the file from the store and from this node's cache."""
        if self.store is not None:
            self.store.delete(relpath)
        path = self.local_path(relpath)
        path.unlink(missing_ok=True)
        with self._lock:
            self._verified.pop(path, None)

    def _still_verified(self, path: Path) -> bool:
        try:
            current = _identity(path)
        except FileNotFoundError:
            return False
        with self._lock:
            return self._verified.get(path) == current

    def _remember(self, path: Path) -> None:
        identity = _identity(path)
        with self._lock:
            self._verified[path] = identity


def _identity(path: Path) -> tuple[int, ...]:
    stat = path.stat()
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


@dataclass(frozen=True)
class StoreConfig:
    """The store settings, hashable: one client per configuration and process."""

    url: str
    endpoint_url: str = ""
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)

    @classmethod
    def of(cls, settings: Settings) -> StoreConfig:
        secret = settings.storage_secret_access_key
        return cls(
            url=settings.storage_url,
            endpoint_url=settings.storage_endpoint_url,
            region=settings.storage_region,
            access_key_id=settings.storage_access_key_id,
            secret_access_key=secret.get_secret_value() if secret is not None else "",
        )

    def connect(self) -> ObjectStorage | None:
        """The configured object store, or None in embedded mode."""
        if not self.url:
            return None
        if self.url.startswith("file://"):
            return ObjectStorage(LocalStore(self.url.removeprefix("file://"), mkdir=True))
        # Empty values are left to the client's own sources (AWS_* variables, instance roles).
        config: S3Config = {}
        if self.endpoint_url:
            config["endpoint"] = self.endpoint_url
        if self.region:
            config["region"] = self.region
        if self.access_key_id:
            config["access_key_id"] = self.access_key_id
        if self.secret_access_key:
            config["secret_access_key"] = self.secret_access_key
        return ObjectStorage(
            S3Store.from_url(
                self.url,
                config=config,
                client_options={"allow_http": self.endpoint_url.startswith("http://")},
            )
        )


def node_files(settings: Settings, data_dir: Path) -> NodeFiles:
    """The process's files for ``data_dir`` under ``settings``' store (one per configuration,
    so verified copies are remembered across requests and tasks)."""
    return _node_files(StoreConfig.of(settings), data_dir)


@lru_cache(maxsize=32)
def _node_files(config: StoreConfig, data_dir: Path) -> NodeFiles:
    return NodeFiles(data_dir=data_dir, store=config.connect())

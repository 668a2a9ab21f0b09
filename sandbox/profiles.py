"""Privacy profiles: the metadata sensitivities come from, declared by providers and approved
by compliance. Until a profile is approved, its dataset answers no sandbox query (409)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlmodel import Session

from accounts.models import Role
from accounts.principal import Principal
from ground.config import Settings
from ground.db import on_commit, on_rollback, utcnow
from ground.errors import BadRequest, NotFound
from listings import offers, storage
from listings import service as listings
from listings.events import DeclaredMetadata, PublicMetadataWanted
from listings.models import Dataset
from sandbox import engine
from sandbox.engine import column_types
from sandbox.errors import ProfileNotApproved
from sandbox.models import ProfileStatus, SandboxProfile
from sandbox.query import ValueType
from sandbox.repository import SandboxRepository

MAX_ROWS_PER_PERSON = 1000
MAX_DOMAIN_VALUES = 10_000
#: The parts of a profile that are declarations (public once approved). The approved profile
#: also stores what approval measured on the file; only the provider and staff see that.
DECLARED_KEYS = ("privacy_unit", "max_rows_per_person", "bounds", "public_domains")


def _invalid(detail: str, zh: str) -> BadRequest:
    return BadRequest(f"Invalid sandbox profile: {detail}", f"沙箱隐私配置无效：{zh}")


def validate(declared: dict[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """Check a declaration against the dataset's columns; returns it normalized."""
    unit = declared["privacy_unit"]
    if unit not in types:
        raise _invalid(
            f"privacy unit column {unit!r} does not exist", f"隐私单元列 {unit!r} 不存在"
        )
    m = declared["max_rows_per_person"]
    if not 1 <= m <= MAX_ROWS_PER_PERSON:
        raise _invalid(
            f"max_rows_per_person must be between 1 and {MAX_ROWS_PER_PERSON}",
            f"每人最大行数必须在 1 到 {MAX_ROWS_PER_PERSON} 之间",
        )
    bounds: dict[str, list[float]] = {}
    for column, (lower, upper) in declared.get("bounds", {}).items():
        if types.get(column) != "number":
            raise _invalid(
                f"bounds for {column!r}, which is not a numeric column",
                f"列 {column!r} 不是数值列，不能设置取值范围",
            )
        if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
            raise _invalid(
                f"bounds of {column!r} need finite lower < upper",
                f"列 {column!r} 的取值范围需满足有限且下界小于上界",
            )
        bounds[column] = [float(lower), float(upper)]
    domains: dict[str, list[Any]] = {}
    for column, values in declared.get("public_domains", {}).items():
        if column not in types:
            raise _invalid(
                f"domain for unknown column {column!r}", f"未知列 {column!r} 的公开取值域"
            )
        if column == unit:
            raise _invalid(
                "the privacy unit cannot have a public domain", "隐私单元列不能设置公开取值域"
            )
        if (
            not values
            or len(values) > MAX_DOMAIN_VALUES
            or len(set(map(repr, values))) != len(values)
        ):
            raise _invalid(
                f"domain of {column!r} needs 1 to {MAX_DOMAIN_VALUES} distinct values",
                f"列 {column!r} 的公开取值域需要 1 到 {MAX_DOMAIN_VALUES} 个不重复的值",
            )
        domains[column] = list(values)
    return {
        "privacy_unit": unit,
        "max_rows_per_person": m,
        "bounds": bounds,
        "public_domains": domains,
    }


def dataset_path(dataset: Dataset, data_dir: Path) -> Path:
    """A verified local copy of the dataset's file (``listings.storage.ensure_local``)."""
    return storage.ensure_local(data_dir, dataset.file_path)


def declarable_columns(dataset: Dataset, data_dir: Path) -> dict[str, ValueType]:
    """The columns a declaration may name, with their sandbox type ("number" columns take
    bounds); empty while the dataset has no stored data."""
    path = dataset_path(dataset, data_dir)
    return column_types(path) if path.exists() else {}


def query_path(dataset: Dataset, approved: dict[str, Any], data_dir: Path) -> Path:
    """The file queries read: the bounded copy written at approval, or the dataset's own file
    when it was already within the per-person bound."""
    bounded = approved.get("bounded_file")
    return storage.ensure_local(data_dir, bounded) if bounded else dataset_path(dataset, data_dir)


def declare(
    session: Session,
    provider: Principal,
    dataset_id: uuid.UUID,
    declared: dict[str, Any],
    data_dir: Path,
) -> SandboxProfile:
    """The provider declares (or revises) the profile; it waits for compliance approval. A
    dataset whose delivery mode is `rows` offers no sandbox: 400."""
    dataset = listings.get_owned(session, provider, dataset_id, for_update=True)
    if not dataset.delivery_mode.offers_sandbox:
        raise offers.sandbox_not_declared(dataset)
    path = dataset_path(dataset, data_dir)
    if not path.exists():
        raise _invalid("the dataset has no stored data yet", "数据集尚无已存储的数据")
    normalized = validate(declared, column_types(path))
    repo = SandboxRepository(session)
    profile = repo.profile(dataset.id, for_update=True)
    if profile is None:
        profile = SandboxProfile(dataset_id=dataset.id, status=ProfileStatus.pending, declared={})
    profile.declared = normalized
    profile.status = ProfileStatus.pending
    profile.updated_at = utcnow()
    repo.add(profile)
    return profile


def approve(
    session: Session, reviewer: Principal, dataset_id: uuid.UUID, settings: Settings
) -> SandboxProfile:
    """Compliance approves the declared profile; from now on it serves queries.

    Approval also checks, once, whether the stored file already has at most
    ``max_rows_per_person`` rows per person. Dataset files are written once, so when it does
    (and the file size is unchanged at query time) queries can skip the per-query contribution
    bounding: on such a file the bounded and unbounded aggregates are the same numbers, so the
    released distribution, and the guarantee, are identical; only the run time differs.
    """
    profile = SandboxRepository(session).profile(dataset_id, for_update=True)
    if profile is None:
        raise NotFound(
            "No sandbox profile was declared for this dataset.", "该数据集尚未声明沙箱隐私配置。"
        )
    dataset = listings.get_dataset(session, dataset_id)
    path = dataset_path(dataset, settings.data_dir)
    declared = profile.declared
    actual = engine.max_rows_per_person(
        path, declared["privacy_unit"], engine.limits_from(settings)
    )
    bounded_file = None
    if actual > declared["max_rows_per_person"]:
        # Bound contributions once, here, instead of in every query (a window over every row
        # is 10-20x the cost of the aggregate itself).
        # A new name per approval: files are written once, so no node's cached copy of an
        # earlier approval's file can be mistaken for this one.
        bounded_file = (
            f"{Path(dataset.file_path).parent}/sandbox-bounded-{uuid.uuid4().hex[:12]}.parquet"
        )
        target = storage.resolve(settings.data_dir, bounded_file)
        engine.write_bounded_copy(
            path, target, declared["privacy_unit"], declared["max_rows_per_person"]
        )
        on_rollback(session, lambda: storage.remove_dataset_files(settings.data_dir, bounded_file))
        storage.publish(settings.data_dir, bounded_file)
        path = target
    _drop_replaced_bounded_copy(session, profile.approved, bounded_file, settings.data_dir)
    profile.approved = {
        **declared,
        "file_within_bound": True,
        "bounded_file": bounded_file,
        "checked_size_bytes": path.stat().st_size,
    }
    profile.status = ProfileStatus.approved
    profile.approved_by_id = reviewer.user_id
    profile.approved_at = profile.updated_at = utcnow()
    SandboxRepository(session).add(profile)
    return profile


def _drop_replaced_bounded_copy(
    session: Session, previous: dict[str, Any] | None, current: str | None, data_dir: Path
) -> None:
    """A re-approval's earlier bounded copy is removed once the new approval commits."""
    old = (previous or {}).get("bounded_file")
    if old and old != current:
        on_commit(session, lambda: storage.remove_dataset_files(data_dir, old))


def find(session: Session, principal: Principal, dataset_id: uuid.UUID) -> SandboxProfile | None:
    """The profile of a dataset ``principal`` may see, or None when none was declared yet
    (a page that offers to declare one needs "not yet" apart from "not yours": 404)."""
    dataset = listings.get_visible(session, principal, dataset_id)
    return SandboxRepository(session).profile(dataset.id)


def get(session: Session, principal: Principal, dataset_id: uuid.UUID) -> SandboxProfile:
    """Buyers see approved profiles of listed datasets (bounds and domains are public)."""
    profile = find(session, principal, dataset_id)
    if profile is None:
        raise NotFound(
            "No sandbox profile was declared for this dataset.", "该数据集尚未声明沙箱隐私配置。"
        )
    return profile


def sees_measurements(session: Session, principal: Principal, dataset_id: uuid.UUID) -> bool:
    """Whether ``principal`` may see what approval measured on the data (whether some person
    exceeds the bound, the bounded file, its size): the dataset's provider and staff. Buyers
    and other providers see declarations only (``declarations``)."""
    if principal.role in (Role.compliance, Role.admin):
        return True
    dataset = listings.get_dataset(session, dataset_id)
    return principal.role is Role.provider and dataset.provider_org_id == principal.org_id


def declarations(profile: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored profile (declared or approved) reduced to its declarations."""
    if profile is None:
        return None
    return {key: profile[key] for key in DECLARED_KEYS if key in profile}


def approved_profile(session: Session, dataset_id: uuid.UUID) -> dict[str, Any]:
    """The approved profile queries run under; 409 when there is none, or when the dataset
    is offered as rows only (its delivery mode, not the profile, decides)."""
    offers.require_sandbox(listings.get_dataset(session, dataset_id))
    profile = SandboxRepository(session).profile(dataset_id)
    if profile is None or profile.approved is None:
        raise ProfileNotApproved(
            "This dataset has no approved sandbox privacy profile yet, so it cannot be queried.",
            "该数据集的沙箱隐私配置尚未获合规审核通过，暂不能查询。",
        )
    return profile.approved


def public_metadata(session: Session, dataset: Dataset) -> DeclaredMetadata | None:
    """The approved profile's public domains and bounds: what buyers read anyway on
    ``GET /sandbox/profiles/{id}``, and all that synthetic samples may draw from besides the
    schema and the policy. A pending declaration is not public yet: ignored."""
    profile = SandboxRepository(session).profile(dataset.id)
    if profile is None or profile.approved is None:
        return None
    approved = profile.approved
    return DeclaredMetadata(
        public_domains={c: list(v) for c, v in approved.get("public_domains", {}).items()},
        bounds={c: (float(lo), float(hi)) for c, (lo, hi) in approved.get("bounds", {}).items()},
    )


def answer_public_metadata(session: Session, event: PublicMetadataWanted) -> None:
    """Subscribed to ``listings``' request for a synthetic sample's declared metadata."""
    found = public_metadata(session, event.dataset)
    if found is not None:
        event.found.append(found)

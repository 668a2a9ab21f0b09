"""Masking policies of datasets: versions, edits, keys, preview and k-anonymity.

Every edit saves a new `PolicyVersion`; versions are never changed. `Dataset.policy` /
`policy_version` name the provider's current draft and `approved_policy` /
`approved_policy_version` the one compliance approved. Buyers are only ever served the
approved version: editing a listed dataset's policy queues the change for review and does
not alter what buyers receive until it is approved.

Previews are rows leaving outside the data API, so each one is audited like a data call: an
`data.preview` record (who, which dataset, through which door, which policy and version, how
many rows) written in the same transaction as the preview. `preview` and `preview_unsaved`
are the only ways to show rows outside the data API, and both take the door they serve.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlmodel import Session

from accounts.models import Role
from accounts.principal import Principal
from anonymize import KAnonymityReport, Policy, k_anonymity
from audit import service as audit
from ground.errors import BadRequest, Conflict, NotFound
from listings import storage
from listings.models import Dataset, DatasetStatus, PolicyVersion
from listings.repository import DatasetRepository
from listings.service import get_owned, get_visible
from listings.versions import (
    Which,
    apply_for,
    column_names,
    policy_of,
    record_version,
    release,
    release_with,
)

_EDITABLE = (DatasetStatus.draft, DatasetStatus.rejected, DatasetStatus.listed)


def is_editable(dataset: Dataset) -> bool:
    """Whether its provider may save a new policy version now (not while processing, failed
    or in review: a reviewer decides on a fixed policy)."""
    return dataset.status in _EDITABLE


def _check_columns(dataset: Dataset, policy: Policy) -> None:
    known = set(column_names(dataset))
    unknown = sorted(set(policy.columns) - known)
    if unknown:
        raise BadRequest(
            f"The policy names columns the dataset does not have: {', '.join(unknown)}. "
            f"Its columns are: {', '.join(column_names(dataset))}.",
            f"策略中包含数据集不存在的列：{'、'.join(unknown)}。"
            f"数据集的列为：{'、'.join(column_names(dataset))}。",
        )
    unknown_qi = sorted(set(policy.quasi_identifiers) - known)
    if unknown_qi:
        raise BadRequest(
            f"Quasi-identifiers must be columns of the dataset: {', '.join(unknown_qi)} are not.",
            f"准标识符必须是数据集中的列：{'、'.join(unknown_qi)} 不是。",
        )
    if len(set(policy.quasi_identifiers)) != len(policy.quasi_identifiers):
        raise BadRequest("A quasi-identifier is listed twice.", "准标识符列表中存在重复的列。")


def measure_k_anonymity(
    dataset: Dataset,
    policy: Policy,
    quasi_identifiers: list[str],
    *,
    data_dir: Path,
    threshold: int,
) -> KAnonymityReport:
    """k-anonymity of the released form over `quasi_identifiers`, over every row.

    Only the quasi-identifier columns are read and passed through the policy (with the
    preview key, which groups exactly as any buyer's key would, and the dataset's cell key,
    so noisy and shifted cells are the very values buyers receive). A quasi-identifier the
    policy drops is not released, so it does not split classes: it is left out of the
    grouping and listed in the report's `dropped_quasi_identifiers`.
    """
    released = [name for name in quasi_identifiers if policy.releases(name)]
    dropped = [name for name in quasi_identifiers if not policy.releases(name)]
    path = storage.ensure_local(data_dir, dataset.file_path)
    raw = pq.read_table(path, columns=released) if released else _row_stub(path)
    table = apply_for(dataset, raw, policy, buyer_org_id=None, row_offset=0)
    return k_anonymity(table, released, threshold=threshold, dropped_quasi_identifiers=dropped)


def _row_stub(path: Path) -> pa.Table:
    rows = pq.ParquetFile(path).metadata.num_rows
    return pa.table({"_": pa.nulls(rows)}).select([])


def get_policy(session: Session, principal: Principal, dataset_id: uuid.UUID) -> Dataset:
    """The dataset whose policy the principal may read: its provider, or staff."""
    if principal.role is Role.provider:
        return get_owned(session, principal, dataset_id)
    return get_visible(session, principal, dataset_id)


def current_version(session: Session, dataset: Dataset) -> PolicyVersion:
    version = None
    if dataset.policy_version is not None:
        version = DatasetRepository(session).policy_version(dataset.id, dataset.policy_version)
    if version is None:
        raise Conflict(
            "The dataset has no policy yet: it is still being profiled.",
            "该数据集尚无脱敏策略：仍在分析中。",
        )
    return version


def versions(session: Session, dataset: Dataset) -> list[PolicyVersion]:
    return DatasetRepository(session).policy_versions(dataset.id)


def update_policy(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    policy: Policy,
    *,
    data_dir: Path,
    k_threshold: int,
) -> PolicyVersion:
    """Save the provider's edited policy as a new version.

    Refused while the dataset is processing, failed or in review (a reviewer must decide on
    a fixed policy). On a listed dataset the version waits for compliance: buyers keep the
    approved one. Every rule must name a column of the dataset.
    """
    dataset = get_owned(session, principal, dataset_id, for_update=True)
    if not is_editable(dataset):
        raise Conflict(
            f"The policy cannot be changed while the dataset is {dataset.status}.",
            f"数据集处于 {dataset.status} 状态时不能修改脱敏策略。",
        )
    _check_columns(dataset, policy)
    report = None
    if policy.quasi_identifiers:
        report = measure_k_anonymity(
            dataset, policy, policy.quasi_identifiers, data_dir=data_dir, threshold=k_threshold
        )
    version = record_version(
        session, dataset, policy, created_by=principal.user_id, k_report=report
    )
    audit.record(
        session,
        "policy.update",
        actor=principal,
        dataset_id=dataset.id,
        subject_id=version.id,
        details={
            "version": version.version,
            "policy": version.policy,
            "awaits_review": dataset.status == DatasetStatus.listed,
        },
    )
    return version


class PreviewDoor(StrEnum):
    """Every place that shows rows outside the data API, as named in its audit record."""

    api_preview = "api.preview"  # GET /datasets/{id}/preview
    api_review = "api.review"  # GET /reviews/listings/{id}
    console_catalog = "console.catalog"  # the catalog's dataset page
    console_provider = "console.provider"  # the provider's dataset page (draft policy)
    console_policy_editor = "console.policy_editor"  # the editor's live preview, unsaved
    console_review = "console.review"  # the compliance review page


def _audit_preview(
    session: Session,
    principal: Principal,
    dataset: Dataset,
    table: pa.Table,
    *,
    door: PreviewDoor,
    policy: str,
    version: int | None,
    rows_requested: int,
    unsaved_policy: Policy | None = None,
) -> None:
    """One `data.preview` record, queued on the preview's own unit of work: committed with it
    or not at all. An unsaved policy is recorded whole: it is what decided what was shown."""
    details: dict[str, object] = {
        "door": str(door),
        "policy": policy,
        "policy_version": version,
        "rows_requested": rows_requested,
        "rows_returned": table.num_rows,
        "columns": table.column_names,
    }
    if unsaved_policy is not None:
        details["unsaved_policy"] = unsaved_policy.model_dump(mode="json")
    audit.record(session, "data.preview", actor=principal, dataset_id=dataset.id, details=details)


def preview(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    *,
    which: Which | None,
    rows: int,
    data_dir: Path,
    door: PreviewDoor,
) -> tuple[Dataset, Which, pa.Table]:
    """The first rows as a generic buyer would see them, audited (`data.preview`).

    Providers (of their own datasets) and staff see the draft policy by default, to check
    it before review; buyers only ever see a listed dataset under its approved policy. Noise
    and date shifts carry the same draw as every buyer's copy (one cell key per dataset);
    pseudonyms are the generic preview audience's.
    """
    dataset = get_visible(session, principal, dataset_id)
    owner_or_staff = principal.role in (Role.compliance, Role.admin) or (
        principal.role is Role.provider and dataset.provider_org_id == principal.org_id
    )
    if not owner_or_staff:
        if which == "draft":
            raise NotFound(
                "Only the provider and compliance staff can preview a draft policy.",
                "只有数据提供方和合规人员可以预览草稿策略。",
            )
        which = "approved"
    chosen: Which = which or "draft"
    table = release(
        dataset, which=chosen, buyer_org_id=None, limit=rows, offset=0, data_dir=data_dir
    )
    _audit_preview(
        session,
        principal,
        dataset,
        table,
        door=door,
        policy=chosen,
        version=dataset.approved_policy_version if chosen == "approved" else dataset.policy_version,
        rows_requested=rows,
    )
    return dataset, chosen, table


def preview_unsaved(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    policy: Policy,
    *,
    rows: int,
    data_dir: Path,
    door: PreviewDoor,
) -> pa.Table:
    """The first rows under a policy the provider is editing and has not saved: what the
    editor shows before a change becomes a version. Only the owning provider, with the same
    column checks as saving; the generic preview key, as for every preview. Audited
    (`data.preview`, policy "unsaved", the policy itself in the record)."""
    dataset = get_owned(session, principal, dataset_id)
    _check_columns(dataset, policy)
    table = release_with(
        dataset, policy, buyer_org_id=None, limit=rows, offset=0, data_dir=data_dir
    )
    _audit_preview(
        session,
        principal,
        dataset,
        table,
        door=door,
        policy="unsaved",
        version=None,
        rows_requested=rows,
        unsaved_policy=policy,
    )
    return table


def k_anonymity_report(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    *,
    quasi_identifiers: list[str] | None,
    which: Which,
    data_dir: Path,
    threshold: int,
) -> KAnonymityReport:
    """k-anonymity of the draft or approved release over the given quasi-identifiers, or
    over those declared in that policy when none are given."""
    dataset = get_policy(session, principal, dataset_id)
    policy = policy_of(dataset, which)
    chosen = quasi_identifiers if quasi_identifiers else policy.quasi_identifiers
    unknown = sorted(set(chosen) - set(column_names(dataset)))
    if unknown:
        raise BadRequest(
            f"Not columns of the dataset: {', '.join(unknown)}.",
            f"以下不是数据集中的列：{'、'.join(unknown)}。",
        )
    if not chosen:
        raise BadRequest(
            "Name the quasi-identifiers (?quasi_identifiers=a,b) or declare them in the policy.",
            "请指定准标识符（?quasi_identifiers=a,b），或在策略中声明。",
        )
    return measure_k_anonymity(
        dataset, policy, list(dict.fromkeys(chosen)), data_dir=data_dir, threshold=threshold
    )

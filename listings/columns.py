"""Renaming a dataset's columns: how a provider names the ``column_1`` … of a header-less
upload, or any column, before review.

Only drafts and rejected datasets (never reviewed or listed ones: the reviewer and buyers
must see fixed names). The new names are checked like an upload's header: none may be
empty, repeated, or itself a personal-data value (``anonymize.headers``), so a rename cannot
publish what ingestion kept out of the names.

Everything keyed by column name follows in the same unit of work: the stored Parquet file
(rewritten under a new name; the old file is removed only after the commit, and the new one
on rollback, so readers always see a file matching the database), the dataset's columns,
its draft policy (saved as a new policy version) and, through ``listings.events``, other
domains' state (the sandbox's privacy profile).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pyarrow.parquet as pq
from sqlmodel import Session

from accounts.principal import Principal
from anonymize import KAnonymityReport, Policy
from anonymize.headers import sensitive_name_kind
from audit import service as audit
from ground.db import on_commit, on_rollback, utcnow
from ground.errors import BadRequest, Conflict
from ground.events import publish
from listings import events, storage
from listings.models import Dataset, DatasetStatus
from listings.policies import measure_k_anonymity
from listings.service import get_owned
from listings.versions import column_names, record_version

MAX_NAME_LENGTH = 200
_RENAMABLE = (DatasetStatus.draft, DatasetStatus.rejected)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SAMPLE_ROWS = 1000


def rename_columns(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    renames: dict[str, str],
    *,
    data_dir: Path,
    k_threshold: int,
) -> Dataset:
    """Rename columns (``{old: new}``) of the provider's own draft or rejected dataset."""
    dataset = get_owned(session, principal, dataset_id, for_update=True)
    if dataset.status not in _RENAMABLE or dataset.approved_policy is not None:
        raise Conflict(
            f"Columns can only be renamed before review (draft or rejected); this dataset is "
            f"{dataset.status}.",
            f"只有在审核前（草稿或被驳回状态）才能重命名列，该数据集当前状态为 {dataset.status}。",
        )
    changes = _checked(dataset, renames, data_dir)
    if changes:
        _apply(session, principal, dataset, changes, data_dir=data_dir, k_threshold=k_threshold)
    audit.record(
        session,
        "dataset.columns_rename",
        actor=principal,
        dataset_id=dataset.id,
        details={"renamed": changes, "policy_version": dataset.policy_version},
    )
    return dataset


def _checked(dataset: Dataset, renames: dict[str, str], data_dir: Path) -> dict[str, str]:
    """The effective renames (no-ops left out), or a bilingual 400 naming the problem."""
    names = column_names(dataset)
    if not renames:
        raise BadRequest("Name at least one column to rename.", "请至少指定一个要重命名的列。")
    unknown = sorted(set(renames) - set(names))
    if unknown:
        raise BadRequest(
            f"The dataset has no column {', '.join(map(repr, unknown))}. Its columns are: "
            f"{', '.join(names)}.",
            f"数据集没有列：{'、'.join(unknown)}。数据集的列为：{'、'.join(names)}。",
        )
    new = {old: value.strip() for old, value in renames.items()}
    for old, value in new.items():
        _check_name(old, value)
    final = [new.get(name, name) for name in names]
    repeated = sorted({name for name in final if final.count(name) > 1})
    if repeated:
        raise BadRequest(
            f"After renaming, these names would be used by more than one column: "
            f"{', '.join(map(repr, repeated))}.",
            f"重命名后，以下列名将被多个列使用：{'、'.join(repeated)}。",
        )
    changes = {old: value for old, value in new.items() if value != old}
    _refuse_sensitive(dataset, changes, data_dir)
    return changes


def _check_name(old: str, value: str) -> None:
    if not value:
        raise BadRequest(f"The new name for {old!r} is empty.", f"列“{old}”的新名称不能为空。")
    if len(value) > MAX_NAME_LENGTH or _CONTROL.search(value):
        raise BadRequest(
            f"The new name for {old!r} must be at most {MAX_NAME_LENGTH} characters, without "
            "control characters.",
            f"列“{old}”的新名称最多 {MAX_NAME_LENGTH} 个字符，且不能包含控制字符。",
        )


def _refuse_sensitive(dataset: Dataset, changes: dict[str, str], data_dir: Path) -> None:
    """A new name that is a personal-data value is refused; the message names the column
    and the kind, never echoes the value."""
    if not changes:
        return
    parquet = pq.ParquetFile(storage.ensure_local(data_dir, dataset.file_path))
    sample = next(parquet.iter_batches(batch_size=_SAMPLE_ROWS, columns=list(changes)))
    for old, value in changes.items():
        kind = sensitive_name_kind(value, sample.column(old))
        if kind is not None:
            raise BadRequest(
                f"The new name for {old!r} is itself personal data (a {kind.value} value) and "
                "cannot be a column name: column names are shown to every buyer.",
                f"列“{old}”的新名称本身就是个人信息（{kind.value}），不能用作列名："
                "列名会展示给所有买方。",
            )


def _apply(
    session: Session,
    principal: Principal,
    dataset: Dataset,
    changes: dict[str, str],
    *,
    data_dir: Path,
    k_threshold: int,
) -> None:
    old_relpath = dataset.file_path
    table = pq.read_table(storage.ensure_local(data_dir, old_relpath))
    table = table.rename_columns([changes.get(name, name) for name in table.column_names])
    new_relpath = storage.dataset_relpath(dataset.id, revision=uuid.uuid4().hex[:12])
    storage.write_parquet_atomically(table, storage.resolve(data_dir, new_relpath))
    on_rollback(session, lambda: storage.remove_dataset_files(data_dir, new_relpath))
    storage.publish(data_dir, new_relpath)
    on_commit(session, lambda: storage.remove_dataset_files(data_dir, old_relpath))
    dataset.file_path = new_relpath
    dataset.columns = [
        {**column, "name": changes.get(column["name"], column["name"])}
        for column in dataset.columns
    ]
    dataset.updated_at = utcnow()
    if dataset.policy is not None:
        policy, k_report = _renamed_policy(dataset, changes, data_dir, k_threshold)
        record_version(session, dataset, policy, created_by=principal.user_id, k_report=k_report)
    session.add(dataset)
    session.flush()
    publish(session, events.ColumnsRenamed(dataset, changes))


def _renamed_policy(
    dataset: Dataset, changes: dict[str, str], data_dir: Path, k_threshold: int
) -> tuple[Policy, KAnonymityReport | None]:
    """The draft policy under the new names (same rules) and its k-anonymity report."""
    current = Policy.model_validate(dataset.policy)
    policy = Policy(
        columns={changes.get(name, name): rule for name, rule in current.columns.items()},
        quasi_identifiers=[changes.get(name, name) for name in current.quasi_identifiers],
    )
    report = None
    if policy.quasi_identifiers:
        report = measure_k_anonymity(
            dataset, policy, policy.quasi_identifiers, data_dir=data_dir, threshold=k_threshold
        )
    return policy, report

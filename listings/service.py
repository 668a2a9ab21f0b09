"""Datasets: upload, profiling, visibility, submission and the catalog.

Services only flush; the unit of work that called them commits. The only way rows leave this
package is ``read_masked_rows``, which always applies the policy compliance approved.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
from sqlmodel import Session

from anonymize import DEFAULT_GRADE, classify_column, propose_policy
from listings import ingestion, keys, offers, storage, versions
from listings.models import DataGrade, Dataset, DatasetStatus, DeliveryMode
from listings.repository import DatasetRepository
from market.accounts.models import Role
from market.accounts.principal import Principal
from market.audit import service as audit
from market.config import Settings
from market.db import on_rollback, utcnow
from market.errors import Conflict, Forbidden, NotFound
from market.worker import enqueue

log = logging.getLogger(__name__)
_PROFILE_SAMPLE_ROWS = 10_000
_STAFF = (Role.compliance, Role.admin)


def create_dataset(
    session: Session,
    principal: Principal,
    *,
    source: BinaryIO,
    filename: str,
    title: str,
    description: str,
    domain: str,
    settings: Settings,
    header: ingestion.HeaderMode = "auto",
    delivery_mode: DeliveryMode = DeliveryMode.both,
) -> Dataset:
    """Validate and store an upload as Parquet, then queue its profiling.

    ``delivery_mode`` is what the provider declares the dataset offers (``listings.delivery``).

    The file is parsed completely before anything is stored, so a malformed upload is refused
    with nothing half-written; the Parquet file is removed again if the transaction rolls back.
    ``header`` says whether a CSV's first row is its header (``auto``: decided from the
    values, see ``listings.ingestion``). The audit record names the positions of columns
    whose name was replaced, never the names themselves.
    """
    with storage.staged_upload(
        source, settings.data_dir, max_bytes=settings.max_upload_bytes
    ) as staged:
        parsed = ingestion.parse_upload(staged, filename, header=header)
        size = staged.stat().st_size
    dataset_id = uuid.uuid4()
    relpath = storage.dataset_relpath(dataset_id)
    dataset = Dataset(
        id=dataset_id,
        provider_org_id=principal.org_id,
        created_by_id=principal.user_id,
        title=title,
        description=description,
        domain=domain,
        delivery_mode=delivery_mode,
        file_path=relpath,
        original_filename=filename,
        source_format=parsed.source_format,
        source_encoding=parsed.encoding,
        size_bytes=size,
        row_count=parsed.table.num_rows,
        pseudonym_secret=keys.new_sealed_secret(dataset_id),
    )
    storage.write_parquet_atomically(parsed.table, storage.resolve(settings.data_dir, relpath))
    on_rollback(session, lambda: storage.remove_dataset_files(settings.data_dir, relpath))
    storage.publish(settings.data_dir, relpath)
    dataset.ingest_task_id = enqueue(session, "listings.ingest", dataset_id=str(dataset_id))
    DatasetRepository(session).add(dataset)
    audit.record(
        session,
        "dataset.upload",
        actor=principal,
        dataset_id=dataset_id,
        details={
            "filename": filename,
            "format": parsed.source_format,
            "encoding": parsed.encoding,
            "size_bytes": size,
            "rows": parsed.table.num_rows,
            "header_row": parsed.header,
            "neutralized_columns": parsed.neutralized,
            "delivery_mode": str(delivery_mode),
        },
    )
    return dataset


def profile_dataset(session: Session, dataset_id: uuid.UUID, data_dir: Path) -> Dataset:
    """Record the schema, detect each column's kind and propose a masking policy.

    Detection reads a bounded sample (the first row groups), so profiling cost does not grow
    with the file; the row count comes from the Parquet footer.
    """
    dataset = get_dataset(session, dataset_id)
    if dataset.status != DatasetStatus.processing:
        return dataset  # a redelivered task: the work is already done
    parquet = pq.ParquetFile(storage.ensure_local(data_dir, dataset.file_path))
    sample = next(parquet.iter_batches(batch_size=_PROFILE_SAMPLE_ROWS))
    detections = {
        name: classify_column(name, sample.column(i)) for i, name in enumerate(sample.schema.names)
    }
    dataset.columns = [
        {
            "name": name,
            "type": str(sample.schema.field(name).type),
            "kind": str(detection.kind),
            "confidence": round(detection.confidence, 3),
            "evidence": detection.evidence,
        }
        for name, detection in detections.items()
    ]
    dataset.row_count = parquet.metadata.num_rows
    dataset.status = DatasetStatus.draft
    # Grading (数据分类分级) is not recorded yet: every dataset gets the default grade's
    # proposal, which the provider edits and compliance reviews.
    proposal = propose_policy(detections, grade=DEFAULT_GRADE)
    versions.record_version(session, dataset, proposal, created_by=None, k_report=None)
    audit.record(
        session,
        "dataset.profile",
        actor=None,
        dataset_id=dataset.id,
        details={"kinds": {c["name"]: c["kind"] for c in dataset.columns}},
    )
    return dataset


def mark_ingest_failed(session: Session, dataset_id: uuid.UUID, reason: str) -> None:
    """Record why the ingest failed, unless the dataset is no longer ``processing``: another
    attempt finished it, or its provider deleted it (then there is nothing to record)."""
    if not DatasetRepository(session).fail_if_processing(dataset_id, reason, utcnow()):
        log.info("ingest failure not recorded: the dataset is no longer processing")
        return
    audit.record(
        session,
        "dataset.ingest_failed",
        actor=None,
        dataset_id=dataset_id,
        details={"reason": reason},
    )


def get_dataset(session: Session, dataset_id: uuid.UUID, *, for_update: bool = False) -> Dataset:
    dataset = DatasetRepository(session).get(dataset_id, for_update=for_update)
    if dataset is None:
        raise NotFound("Dataset not found.", "数据集不存在。")
    return dataset


def can_see(principal: Principal, dataset: Dataset) -> bool:
    """Listed datasets are public to signed-in users; others only to their owner and staff."""
    return (
        dataset.status == DatasetStatus.listed
        or principal.role in _STAFF
        or (principal.role is Role.provider and dataset.provider_org_id == principal.org_id)
    )


def get_visible(session: Session, principal: Principal, dataset_id: uuid.UUID) -> Dataset:
    dataset = get_dataset(session, dataset_id)
    # Not 403: an unlisted dataset's existence is itself private to its provider.
    if not can_see(principal, dataset):
        raise NotFound("Dataset not found.", "数据集不存在。")
    return dataset


def get_for_owner_or_staff(
    session: Session, principal: Principal, dataset_id: uuid.UUID
) -> Dataset:
    """For what only the provider and staff see (review history, attachments)."""
    if principal.role is Role.provider:
        return get_owned(session, principal, dataset_id)
    if principal.role in _STAFF:
        return get_dataset(session, dataset_id)
    raise NotFound("Dataset not found.", "数据集不存在。")


def get_listed(session: Session, dataset_id: uuid.UUID) -> Dataset:
    dataset = get_dataset(session, dataset_id)
    if dataset.status == DatasetStatus.suspended:
        raise Forbidden(
            "Compliance has suspended this dataset; all access to it is stopped.",
            "该数据集已被合规部门暂停，所有访问均已停止。",
        )
    if dataset.status != DatasetStatus.listed:
        raise NotFound("Dataset not found or not listed.", "数据集不存在或未上架。")
    return dataset


def get_owned(
    session: Session, principal: Principal, dataset_id: uuid.UUID, *, for_update: bool = False
) -> Dataset:
    dataset = get_dataset(session, dataset_id, for_update=for_update)
    if dataset.provider_org_id != principal.org_id:
        if can_see(principal, dataset):
            raise Forbidden(
                "Only the providing organization can change this dataset.",
                "只有数据提供方可以修改该数据集。",
            )
        raise NotFound("Dataset not found.", "数据集不存在。")
    return dataset


def list_datasets(
    session: Session,
    principal: Principal,
    *,
    status: DatasetStatus | None,
    limit: int,
    offset: int,
    grade: DataGrade | None = None,
) -> tuple[list[Dataset], int]:
    """A provider's own datasets, or every dataset for compliance staff and admins;
    ``grade`` keeps those of that grade (confirmed, else proposed)."""
    owner = None if principal.role in _STAFF else principal.org_id
    return DatasetRepository(session).search(
        statuses=[status] if status else None,
        provider_org_id=owner,
        stated_grade=grade,
        limit=limit,
        offset=offset,
    )


def catalog(
    session: Session,
    *,
    q: str | None,
    domain: str | None,
    limit: int,
    offset: int,
    grade: DataGrade | None = None,
    provider_org_id: uuid.UUID | None = None,
) -> tuple[list[Dataset], int]:
    """Listed datasets only, newest first, filtered by words, domain, grade and provider."""
    return DatasetRepository(session).search(
        statuses=[DatasetStatus.listed],
        q=q,
        domain=domain,
        grade=grade,
        provider_org_id=provider_org_id,
        limit=limit,
        offset=offset,
    )


def catalog_facets(session: Session) -> tuple[list[str], list[uuid.UUID]]:
    """What the catalog can be filtered by: domains and providers with listed datasets."""
    return DatasetRepository(session).listed_facets()


def submit(session: Session, principal: Principal, dataset_id: uuid.UUID) -> Dataset:
    dataset = get_owned(session, principal, dataset_id, for_update=True)
    if dataset.status not in (DatasetStatus.draft, DatasetStatus.rejected):
        raise Conflict(
            f"Only a draft or rejected dataset can be submitted; this one is {dataset.status}.",
            f"只有草稿或被驳回的数据集可以提交审核，当前状态为 {dataset.status}。",
        )
    _check_ready_for_review(dataset)
    dataset.status = DatasetStatus.in_review
    dataset.submitted_at = dataset.updated_at = utcnow()
    session.add(dataset)
    session.flush()
    audit.record(session, "dataset.submit", actor=principal, dataset_id=dataset.id)
    return dataset


def _check_ready_for_review(dataset: Dataset) -> None:
    missing = [
        (en, zh)
        for present, en, zh in (
            (dataset.source.strip(), "the data source", "数据来源"),
            (dataset.legal_basis.strip(), "the legal basis for publishing", "发布的法律依据"),
            (dataset.proposed_grade, "a proposed grade", "拟定的分类分级"),
        )
        if not present
    ]
    if missing:
        raise Conflict(
            "Before review, provide " + ", ".join(en for en, _ in missing) + ".",
            "提交审核前请提供：" + "、".join(zh for _, zh in missing) + "。",
        )
    if dataset.proposed_grade == DataGrade.core:
        raise Conflict(
            "Core data can never be listed on the exchange.", "核心数据一律不得上架交易。"
        )


def read_masked_rows(
    dataset: Dataset, *, limit: int, offset: int, data_dir: Path, buyer_org_id: uuid.UUID
) -> pa.Table:
    """Rows ``offset`` to ``offset + limit`` with the approved policy applied for one buyer.

    Guarantee: every column passes through the compliance-approved policy version (a newer
    draft is ignored until approved); a column the policy does not name is dropped
    (``apply_policy`` fails closed), so no raw value leaves unmasked. Keyed operators use
    the buyer organization's own key, so two buyers cannot link their pseudonyms. A dataset
    offered through the sandbox only is refused (409) before its file is opened, whatever
    entitlement the caller holds.
    """
    if dataset.status != DatasetStatus.listed or dataset.approved_policy is None:
        raise Conflict("The dataset is not listed.", "数据集未上架。")
    offers.require_rows(dataset)
    return versions.release(
        dataset,
        which="approved",
        buyer_org_id=buyer_org_id,
        limit=limit,
        offset=offset,
        data_dir=data_dir,
    )


def counts_by_grade_and_status(session: Session) -> list[tuple[str | None, str, int]]:
    """How many datasets sit at each (grade, status): the compliance report's first table."""
    return DatasetRepository(session).counts_by_grade_and_status()

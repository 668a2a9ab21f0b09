"""Datasets: upload, profiling, visibility, submission and the catalog.

Services only flush; the unit of work that called them commits. The only way rows leave this
package is ``read_masked_rows``, which always applies the policy compliance approved.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
from sqlmodel import Session

from accounts.models import Role
from accounts.principal import Principal
from anonymize import DEFAULT_GRADE, ColumnDetection, classify_column, propose_policy
from audit import service as audit
from ground.config import Settings
from ground.db import on_commit, on_rollback, utcnow
from ground.errors import Conflict, Forbidden, NotFound
from ground.worker import enqueue
from listings import ingestion, keys, offers, storage, versions
from listings.models import DataGrade, Dataset, DatasetStatus, DeliveryMode
from listings.repository import DatasetRepository

log = logging.getLogger(__name__)
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
    """Check and keep an upload, then queue its ingest (conversion to Parquet and profiling).

    ``delivery_mode`` is what the provider declares the dataset offers (``listings.delivery``).

    The start of the file (its first batch: format, encoding, header, width, names and cells)
    is checked here, so a bad upload is refused with a 4xx and nothing stored; the rest is
    read by the ingest task, streaming, which marks the dataset ``failed`` with a fixed reason
    if something further on is refused. The kept upload is removed again if the transaction
    rolls back. ``header`` says whether a CSV's first row is its header (``auto``: decided
    from the values, see ``listings.ingestion``); the decision made here is the one the task
    applies. The audit record names the positions of columns whose name was replaced, never
    the names themselves.
    """
    limits = ingestion.IngestLimits.from_settings(settings)
    dataset_id = uuid.uuid4()
    upload_relpath = storage.upload_relpath(dataset_id)
    with storage.staged_upload(
        source, settings.data_dir, max_bytes=settings.max_upload_bytes
    ) as staged:
        checked = ingestion.check_upload(staged, filename, header=header, limits=limits)
        size = staged.stat().st_size
        storage.keep_upload(staged, storage.resolve(settings.data_dir, upload_relpath))
    on_rollback(session, lambda: storage.remove_dataset_files(settings.data_dir, upload_relpath))
    dataset = Dataset(
        id=dataset_id,
        provider_org_id=principal.org_id,
        created_by_id=principal.user_id,
        title=title,
        description=description,
        domain=domain,
        delivery_mode=delivery_mode,
        file_path=storage.dataset_relpath(dataset_id),
        original_filename=filename,
        source_format=checked.source_format,
        source_encoding=checked.encoding,
        size_bytes=size,
        row_count=checked.rows or 0,
        pseudonym_secret=keys.new_sealed_secret(dataset_id),
    )
    # The worker that ingests may run on another machine: it reads the kept upload from the
    # object store (nothing to do in embedded mode), published before the row commits.
    storage.publish(settings.data_dir, upload_relpath)
    dataset.ingest_task_id = enqueue(
        session, "listings.ingest", dataset_id=str(dataset_id), header=checked.header_mode
    )
    DatasetRepository(session).add(dataset)
    audit.record(
        session,
        "dataset.upload",
        actor=principal,
        dataset_id=dataset_id,
        details={
            "filename": filename,
            "format": checked.source_format,
            "encoding": checked.encoding,
            "size_bytes": size,
            "rows": checked.rows,
            "header_row": checked.header,
            "neutralized_columns": checked.neutralized,
            "delivery_mode": str(delivery_mode),
        },
    )
    return dataset


@dataclass(frozen=True)
class IngestJob:
    """What the ingest reads and writes, taken from the dataset in a short read."""

    dataset_id: uuid.UUID
    upload: Path
    dest: Path
    filename: str


@dataclass(frozen=True)
class IngestOutcome:
    """The long work's result, recorded in a short transaction (``record_ingest``)."""

    result: ingestion.IngestResult
    schema: pa.Schema
    detections: dict[str, ColumnDetection]


def ingest_job(session: Session, dataset_id: uuid.UUID, data_dir: Path) -> IngestJob | None:
    """The work for a dataset still ``processing``, or None (a redelivered task whose work
    is done, or a dataset gone)."""
    dataset = DatasetRepository(session).get(dataset_id)
    if dataset is None or dataset.status != DatasetStatus.processing:
        return None
    # Local copies (fetched from the object store when the upload came in on another node);
    # a path that does not exist means no such file is stored.
    return IngestJob(
        dataset_id,
        storage.ensure_local(data_dir, storage.upload_relpath(dataset_id)),
        storage.ensure_local(data_dir, dataset.file_path),
        dataset.original_filename,
    )


def run_ingest(
    job: IngestJob, *, header: ingestion.HeaderMode, limits: ingestion.IngestLimits
) -> IngestOutcome:
    """Convert the upload to Parquet and detect each column's kind on a sample: the long
    work, which touches no database (so no transaction or lock is held while it runs).

    Detection reads the first ``limits.sample_rows`` rows of the stored file, so its cost
    does not grow with the file. Run again after an interruption, it starts over (the stored
    file appears only once complete)."""
    if job.dest.exists() and not job.upload.exists():
        result = ingestion.IngestResult("parquet", None)  # converted; the task died after
    else:
        result = ingestion.ingest_file(
            job.upload, job.filename, job.dest, header=header, limits=limits
        )
    parquet = pq.ParquetFile(job.dest)
    sample = next(parquet.iter_batches(batch_size=limits.sample_rows), None)
    schema = parquet.schema_arrow
    columns = sample.columns if sample is not None else [pa.array([], f.type) for f in schema]
    detections = {
        name: classify_column(name, column)
        for name, column in zip(schema.names, columns, strict=True)
    }
    if result.rows is None:
        result = dataclasses.replace(result, rows=parquet.metadata.num_rows)
    return IngestOutcome(result, schema, detections)


def record_ingest(
    session: Session, dataset_id: uuid.UUID, outcome: IngestOutcome, data_dir: Path
) -> Dataset:
    """Record the schema, each column's detected kind and a proposed masking policy; the
    dataset becomes a ``draft``. The kept upload is removed once this commits."""
    dataset = get_dataset(session, dataset_id)
    if dataset.status != DatasetStatus.processing:
        return dataset  # a redelivered task: the work is already done
    storage.publish(data_dir, dataset.file_path)
    dataset.columns = [
        {
            "name": name,
            "type": str(outcome.schema.field(name).type),
            "kind": str(detection.kind),
            "confidence": round(detection.confidence, 3),
            "evidence": detection.evidence,
        }
        for name, detection in outcome.detections.items()
    ]
    dataset.row_count = outcome.result.rows or 0
    if outcome.result.encoding is not None:
        dataset.source_encoding = outcome.result.encoding
    dataset.status = DatasetStatus.draft
    dataset.updated_at = utcnow()
    # Grading (数据分类分级) is not recorded yet: every dataset gets the default grade's
    # proposal, which the provider edits and compliance reviews.
    proposal = propose_policy(outcome.detections, grade=DEFAULT_GRADE)
    versions.record_version(session, dataset, proposal, created_by=None, k_report=None)
    audit.record(
        session,
        "dataset.profile",
        actor=None,
        dataset_id=dataset.id,
        details={"kinds": {c["name"]: c["kind"] for c in dataset.columns}},
    )
    upload = storage.upload_relpath(dataset_id)
    on_commit(session, lambda: storage.remove_dataset_files(data_dir, upload))
    return dataset


def profile_dataset(
    session: Session,
    dataset_id: uuid.UUID,
    data_dir: Path,
    *,
    header: ingestion.HeaderMode = "auto",
    limits: ingestion.IngestLimits | None = None,
) -> Dataset:
    """Ingest and profile in one unit of work (tests and tools; the task splits it so no
    transaction spans the long work). Idempotent: a profiled dataset is left as it is."""
    job = ingest_job(session, dataset_id, data_dir)
    if job is None:
        return get_dataset(session, dataset_id)
    outcome = run_ingest(job, header=header, limits=limits or ingestion.IngestLimits())
    return record_ingest(session, dataset_id, outcome, data_dir)


# What a failed ingest records when the cause is not the file (the details go to the log).
INGEST_FAILED = (
    "The file could not be ingested because of an internal error; the operators have been "
    "told. Upload it again later.",
    "由于内部错误，文件未能导入，已通知运维人员。请稍后重新上传。",
)


def ingest_error_text(english: str, chinese: str) -> str:
    """The stored reason: English, then Chinese, on two lines (never an exception's text)."""
    return f"{english}\n{chinese}"


def mark_ingest_failed(
    session: Session, dataset_id: uuid.UUID, reason: str, data_dir: Path | None = None
) -> None:
    """``failed`` with ``reason`` (a fixed bilingual text, ``ingest_error_text``); the kept
    upload is removed once this commits (a failed dataset is never ingested again)."""
    if not DatasetRepository(session).fail_if_processing(dataset_id, reason, utcnow()):
        # Another attempt finished it, or its provider deleted it: nothing to record.
        log.info("ingest failure not recorded: the dataset is no longer processing")
        return
    audit.record(
        session,
        "dataset.ingest_failed",
        actor=None,
        dataset_id=dataset_id,
        details={"reason": reason},
    )
    if data_dir is not None:
        upload = storage.upload_relpath(dataset_id)
        on_commit(session, lambda: storage.remove_dataset_files(data_dir, upload))


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


def stream_masked_rows(
    dataset: Dataset,
    *,
    buyer_org_id: uuid.UUID,
    data_dir: Path,
    batch_rows: int,
    columns: list[str] | None = None,
) -> Iterator[pa.Table]:
    """Every row of a listed dataset through its approved policy for one buyer, a batch of at
    most ``batch_rows`` rows at a time (bulk files, shared tables, filtered scans).

    Same guarantee and refusals as ``read_masked_rows``, checked before the first batch: the
    rows of any batch equal what the data API serves that buyer at the same offset."""
    if dataset.status != DatasetStatus.listed or dataset.approved_policy is None:
        raise Conflict("The dataset is not listed.", "数据集未上架。")
    offers.require_rows(dataset)
    policy = versions.policy_of(dataset, "approved")
    return versions.release_batches(
        dataset,
        policy,
        buyer_org_id=buyer_org_id,
        data_dir=data_dir,
        batch_rows=batch_rows,
        columns=columns,
    )


def counts_by_grade_and_status(session: Session) -> list[tuple[str | None, str, int]]:
    """How many datasets sit at each (grade, status): the compliance report's first table."""
    return DatasetRepository(session).counts_by_grade_and_status()

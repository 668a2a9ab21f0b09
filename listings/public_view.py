"""What buyers see of a dataset: declarations, never measurements.

The ingest task measures a dataset: each column's detected kind, the detector's confidence and
evidence ("982 of 1,000 sampled values are valid resident IDs"), the file's size, name and
encoding, errors. Those are facts about the stored values and stay with the dataset's owner and
staff. Buyers (any signed-in user who is neither) get the buyer view built here from what was
declared and approved: title, description, domain, grade, the delivery mode, each column's
name with the form the approved policy releases it in, and which columns the sandbox offers.

The exact row count is shown only where rows are delivered, since masked rows reveal it anyway;
a sandbox-only dataset releases its size only as differentially private counts.

Column types shown are coarse (text, integer, number, date, datetime, boolean): the schema a
buyer needs to read rows or write sandbox SQL, computed from the column's type and its rule
without reading a value (``anonymize.public_sample.released_schema``).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from accounts.models import Role
from accounts.principal import Principal
from anonymize import Policy
from anonymize.public_sample import released_schema
from listings.models import Dataset, DeliveryMode

# Which parameters each operator's released form is described by (the rest keep defaults).
RULE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "mask": ("keep_first", "keep_last", "mask_char", "normalize"),
    "mask_name": ("mask_char",),
    "redact": ("replacement",),
    "pseudonymize": ("token_length", "normalize"),
    "generalize": ("generalize_to", "band", "decimals", "grid"),
    "truncate": ("length",),
    "noise": ("epsilon", "sensitivity"),
    "date_shift": ("max_days",),
}
_REPRESENTATIVE: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "text": pa.string(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "boolean": pa.bool_(),
    "other": pa.null(),
}
# The coarse types the sandbox's SQL can use (``sandbox.engine.column_types``).
SANDBOX_TYPES = frozenset({"integer", "number", "text", "date", "datetime", "boolean"})


def coarse_type_of(type_name: str) -> str:
    """The coarse type of a stored column from the Arrow type name ingestion recorded."""
    name = type_name.strip().lower()
    if name.startswith(("int", "uint")):
        return "integer"
    if name.startswith(("float", "double", "halffloat", "decimal")):
        return "number"
    if name in ("string", "large_string", "utf8", "large_utf8", "string_view"):
        return "text"
    if name.startswith("date"):
        return "date"
    if name.startswith("timestamp"):
        return "datetime"
    if name in ("bool", "boolean"):
        return "boolean"
    return "other"


def coarse_type(kind: pa.DataType) -> str:
    return coarse_type_of(str(kind))


def stored_schema(dataset: Dataset) -> pa.Schema:
    """The dataset's columns with one representative Arrow type per coarse type: the schema
    synthetic samples and released types are computed from (no value involved)."""
    return pa.schema(
        [
            pa.field(str(c["name"]), _REPRESENTATIVE[coarse_type_of(str(c.get("type", "")))])
            for c in dataset.columns
        ]
    )


def sees_full_view(principal: Principal, dataset: Dataset) -> bool:
    """The dataset's owner and staff see measurements; everyone else gets the buyer view."""
    return principal.role in (Role.compliance, Role.admin) or (
        principal.role is Role.provider and dataset.provider_org_id == principal.org_id
    )


def _released_forms(dataset: Dataset, policy: Policy | None) -> dict[str, dict[str, Any]]:
    if policy is None or not dataset.delivery_mode.offers_rows:
        return {}
    types = {f.name: coarse_type(f.type) for f in released_schema(stored_schema(dataset), policy)}
    forms = {}
    for name, kind in types.items():
        rule = policy.columns[name]
        parameters = {
            p: getattr(rule, p)
            for p in RULE_PARAMETERS.get(rule.operator, ())
            if getattr(rule, p) is not None
        }
        forms[name] = {"operator": rule.operator, "parameters": parameters, "type": kind}
    return forms


def public_columns(dataset: Dataset) -> list[dict[str, Any]]:
    """Each column a buyer can meet, with its released form in the rows (approved policy) and
    whether the sandbox offers it. A column neither released in rows nor in the sandbox is not
    named at all: its name is not the buyer's to know."""
    policy = Policy.model_validate(dataset.approved_policy) if dataset.approved_policy else None
    forms = _released_forms(dataset, policy)
    in_sandbox = dataset.delivery_mode.offers_sandbox
    columns = []
    for column in dataset.columns:
        name = str(column["name"])
        stored = coarse_type_of(str(column.get("type", "")))
        sandbox = in_sandbox and stored in SANDBOX_TYPES
        released = forms.get(name)
        if released is None and not sandbox:
            continue
        columns.append(
            {
                "name": name,
                "type": stored if sandbox else released["type"] if released else stored,
                "released": released,
                "sandbox": sandbox,
            }
        )
    return columns


def public_view(dataset: Dataset, provider_name: str) -> dict[str, Any]:
    """The fields of ``DatasetPublicRead`` for one dataset."""
    rows_delivered = dataset.delivery_mode.offers_rows
    return {
        "id": dataset.id,
        "title": dataset.title,
        "description": dataset.description,
        "domain": dataset.domain,
        "status": dataset.status,
        "provider_org_id": dataset.provider_org_id,
        "provider_name": provider_name,
        "grade": dataset.grade,
        "grade_level": dataset.grade_level,
        "delivery_mode": dataset.delivery_mode,
        "row_count": dataset.row_count if rows_delivered else None,
        "columns": public_columns(dataset),
        "synthetic_sample": dataset.delivery_mode is DeliveryMode.sandbox,
        "listed_at": dataset.listed_at,
    }

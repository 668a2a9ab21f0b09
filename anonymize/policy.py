"""Column policies: which operator each column of a dataset goes through before release.

A `Policy` is plain JSON (`policy.model_dump_json()` / `Policy.model_validate_json(...)`),
so it can be stored beside the dataset, reviewed and edited by a person, and re-applied
later with the same result. `apply_policy` fails closed: a column leaves only if the policy
names it with a rule other than `drop`. Unknown fields are rejected rather than ignored, so
a misspelt key in a stored policy is an error, not a silently unmasked column.
"""

from typing import Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from anonymize._text import ArrowColumn
from anonymize.detect import ColumnDetection, ColumnKind
from anonymize.masking import mask_name, mask_partial, normalize_mobile, redact


class ColumnRule(BaseModel):
    """One column's treatment.

    `keep` releases the raw values; `mask` keeps `keep_first`/`keep_last` characters (see
    `masking.mask_partial`); `mask_name` keeps the surname's first character; `redact`
    replaces every value with `replacement`; `drop` removes the column. `normalize="mobile"`
    rewrites phone numbers to their bare 11 digits before the operator runs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    operator: Literal["keep", "mask", "mask_name", "redact", "drop"]
    keep_first: int = Field(default=0, ge=0)
    keep_last: int = Field(default=0, ge=0)
    replacement: str = "***"
    mask_char: str = Field(default="*", min_length=1, max_length=1)
    normalize: Literal["mobile"] | None = None


class Policy(BaseModel):
    """Rules by column name. `version` lets stored policies outlive changes to this model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    columns: dict[str, ColumnRule]


def default_rule(kind: ColumnKind) -> ColumnRule:
    """The rule `propose_policy` suggests for a kind.

    - resident_id: keep 6/4, the region code and sequence+check digits, as in the usual
      display convention (GB/T 35273 examples); the birth date is hidden.
    - mobile: keep 3/4 after normalization: the carrier prefix and last 4 digits.
    - name: keep the surname's first character.
    - uscc: keep 8/0, the registration authority, entity type and region code. The 9-char
      organization code identifies the company, and USCCs are published in the business
      registry, so showing its last characters would narrow a lookup there; the check
      character is derived from the hidden part and goes too.
    - other: keep. Detection found nothing to protect; the reviewer decides.
    """
    match kind:
        case ColumnKind.RESIDENT_ID:
            return ColumnRule(operator="mask", keep_first=6, keep_last=4)
        case ColumnKind.MOBILE:
            return ColumnRule(operator="mask", keep_first=3, keep_last=4, normalize="mobile")
        case ColumnKind.NAME:
            return ColumnRule(operator="mask_name")
        case ColumnKind.USCC:
            return ColumnRule(operator="mask", keep_first=8, keep_last=0)
        case ColumnKind.OTHER:
            return ColumnRule(operator="keep")


def propose_policy(detections: dict[str, ColumnDetection]) -> Policy:
    """A first policy from detections: each column gets its kind's `default_rule`.

    Deterministic. A proposal for a person to review, not a guarantee: a column the
    detector missed is proposed `keep`.
    """
    return Policy(columns={name: default_rule(found.kind) for name, found in detections.items()})


def apply_rule(values: ArrowColumn, rule: ColumnRule) -> ArrowColumn:
    """Run one column through `rule` (which must not be `drop`). Deterministic, keyless."""
    if rule.normalize == "mobile":
        values = normalize_mobile(values)
    match rule.operator:
        case "keep":
            return values
        case "mask":
            return mask_partial(
                values,
                keep_first=rule.keep_first,
                keep_last=rule.keep_last,
                mask_char=rule.mask_char,
            )
        case "mask_name":
            return mask_name(values, mask_char=rule.mask_char)
        case "redact":
            return redact(values, replacement=rule.replacement)
        case "drop":
            raise ValueError("a dropped column has no values to transform")


def apply_policy(table: pa.Table, policy: Policy) -> pa.Table:
    """Return `table` with every column transformed by its rule, in the input's order.

    Fails closed: a column absent from the policy is dropped like one whose rule is `drop`,
    so no raw column leaves without an explicit decision. Rules for columns the table lacks
    are ignored, so one policy serves every batch of a dataset. Schema metadata is not
    carried over: it can hold statistics (a Parquet writer's min/max) of the raw values.
    """
    kept = [
        index
        for index, name in enumerate(table.column_names)
        if name in policy.columns and policy.columns[name].operator != "drop"
    ]
    # select() keeps the row count even when every column goes; replace_schema_metadata()
    # on a table without columns would not, so it comes first.
    result = table.replace_schema_metadata(None).select(kept)
    for position, index in enumerate(kept):
        name = table.column_names[index]
        transformed = apply_rule(table.column(index), policy.columns[name])
        result = result.set_column(position, name, transformed)
    return result

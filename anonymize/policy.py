"""Column policies: which operator each column of a dataset goes through before release.

A `Policy` is plain JSON (`policy.model_dump_json()` / `Policy.model_validate_json(...)`),
so it can be stored beside the dataset, reviewed and edited by a person, and re-applied
later with the same result. `apply_policy` fails closed: a column leaves only if the policy
names it with a rule other than `drop`. Unknown fields are rejected rather than ignored, so
a misspelt key in a stored policy is an error, not a silently unmasked column; each
operator's required parameters are checked when the rule is built.

Keyless operators (mask, mask_name, redact, generalize, truncate) give the same output for
everyone. Keyed ones take one of two keys, because they need opposite things:
- `key`, for pseudonyms: the caller derives it per audience (buyer) from a per-dataset secret
  (`operators.derive_key`), so two buyers' tokens cannot be linked;
- `cell_key`, for the per-cell perturbations (noise, date_shift): one key per dataset, the
  same for every viewer, so every viewer gets the same draw of a cell and there are never
  two draws to average.
A policy with a keyed rule refuses to run without the key it needs (`MissingKey`); the
library never substitutes one key for the other.
"""

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Self

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from anonymize import coordinates, noise, operators
from anonymize._text import ArrowColumn
from anonymize.detect import ColumnDetection, ColumnKind
from anonymize.masking import mask_name, mask_partial, normalize_mobile, redact

Operator = Literal[
    "keep",
    "mask",
    "mask_name",
    "redact",
    "drop",
    "pseudonymize",
    "generalize",
    "truncate",
    "noise",
    "date_shift",
]
Generalization = Literal[
    "age_band", "month", "year", "province", "city", "district", "region_birth_year", "gps"
]
# Keyed per audience (unlinkable across audiences) and keyed per cell (one draw for everyone).
AUDIENCE_KEYED_OPERATORS = frozenset({"pseudonymize"})
CELL_KEYED_OPERATORS = frozenset({"noise", "date_shift"})
KEYED_OPERATORS = AUDIENCE_KEYED_OPERATORS | CELL_KEYED_OPERATORS
_PARALLEL_ROWS = 50_000


class MissingKey(ValueError):
    """A keyed rule was applied without a key: refusing beats releasing raw values."""


class ColumnRule(BaseModel):
    """One column's treatment.

    - `keep`: raw values. `drop`: the column is not released (suppression).
    - `mask`: keep `keep_first`/`keep_last` characters (`masking.mask_partial`).
    - `mask_name`: keep the surname's first character. `redact`: every value -> `replacement`.
    - `pseudonymize`: keyed HMAC-SHA256 token of `token_length` hex digits.
    - `generalize` with `generalize_to`: `age_band` (bands of `band` years), `month` /
      `year` (dates), `province` / `city` / `district` (addresses), `region_birth_year`
      (resident IDs -> "110105-1990"), `gps` (coordinates rounded to `decimals` places
      or snapped to a `grid` of that many degrees: give exactly one).
    - `truncate`: the first `length` characters.
    - `noise`: Laplace noise, `epsilon` and `sensitivity` required (per-cell epsilon-DP;
      one draw per cell for every viewer, coupled across scales: `anonymize.noise`).
    - `date_shift`: a per-row shift of up to `max_days` days either way, one per row for
      every viewer.

    `normalize="mobile"` rewrites phone numbers to their bare 11 digits before the operator.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    operator: Operator
    keep_first: int = Field(default=0, ge=0, le=64)
    keep_last: int = Field(default=0, ge=0, le=64)
    replacement: str = Field(default="***", max_length=64)
    mask_char: str = Field(default="*", min_length=1, max_length=1)
    normalize: Literal["mobile"] | None = None
    token_length: int = Field(default=16, ge=8, le=64)
    generalize_to: Generalization | None = None
    band: int = Field(default=10, ge=1, le=100)
    decimals: int | None = Field(default=None, ge=0, le=coordinates.MAX_DECIMALS)
    grid: float | None = Field(default=None, gt=0, le=10)
    length: int | None = Field(default=None, ge=1, le=10_000)
    epsilon: float | None = Field(default=None, gt=0, le=100)
    sensitivity: float | None = Field(default=None, gt=0)
    max_days: int | None = Field(default=None, ge=1, le=3650)

    @model_validator(mode="after")
    def _required_parameters(self) -> Self:
        missing = {
            "generalize": ["generalize_to"] if self.generalize_to is None else [],
            "truncate": ["length"] if self.length is None else [],
            "noise": [n for n in ("epsilon", "sensitivity") if getattr(self, n) is None],
            "date_shift": ["max_days"] if self.max_days is None else [],
        }.get(self.operator, [])
        if missing:
            raise ValueError(f"operator {self.operator!r} needs {', '.join(missing)}")
        if self.operator == "noise" and self.epsilon and self.sensitivity:
            # Refused when saved rather than when served: a scale off the noise ladder.
            noise.noise_level(epsilon=self.epsilon, sensitivity=self.sensitivity)
        if self.operator == "generalize" and self.generalize_to == "gps":
            # The same check the operator makes, so a bad grid is refused when the policy
            # is saved, not when rows are served.
            coordinates.cell_size(decimals=self.decimals, grid=self.grid)
        return self

    @property
    def keyed(self) -> bool:
        return self.operator in KEYED_OPERATORS

    @property
    def cell_keyed(self) -> bool:
        """Whether the rule perturbs each cell with a keyed draw (needs the dataset's
        `cell_key`, not an audience key)."""
        return self.operator in CELL_KEYED_OPERATORS


class Policy(BaseModel):
    """Rules by column name, and the quasi-identifiers the provider declares.

    `quasi_identifiers` name columns that, combined, could single a person out (age, sex,
    district ...); the k-anonymity report groups the released rows by them. `version` lets
    stored policies outlive changes to this model (1: rules only; 2: quasi-identifiers).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1, 2] = 2
    columns: dict[str, ColumnRule]
    quasi_identifiers: list[str] = Field(default_factory=list, max_length=32)

    @property
    def keyed(self) -> bool:
        return any(rule.keyed for rule in self.columns.values())

    @property
    def audience_keyed(self) -> bool:
        return any(rule.operator in AUDIENCE_KEYED_OPERATORS for rule in self.columns.values())

    @property
    def cell_keyed(self) -> bool:
        return any(rule.cell_keyed for rule in self.columns.values())

    def releases(self, column: str) -> bool:
        """Whether `column` leaves under this policy: it has a rule, and not `drop`."""
        rule = self.columns.get(column)
        return rule is not None and rule.operator != "drop"


class Sensitivity(StrEnum):
    """A dataset's grade under the data classification rules (数据分类分级): general data at
    levels 1-4, then important data (重要数据) and core data (核心数据). Higher grades get
    stricter default rules from `propose_policy`."""

    general_1 = "general_1"
    general_2 = "general_2"
    general_3 = "general_3"
    general_4 = "general_4"
    important = "important"
    core = "core"

    @property
    def rank(self) -> int:
        return list(Sensitivity).index(self)


DEFAULT_GRADE = Sensitivity.general_2


def _mask(first: int, last: int, **extra: str) -> ColumnRule:
    return ColumnRule.model_validate(
        {"operator": "mask", "keep_first": first, "keep_last": last, **extra}
    )


_PSEUDONYM = ColumnRule(operator="pseudonymize")


def default_rule(kind: ColumnKind, grade: Sensitivity = DEFAULT_GRADE) -> ColumnRule:
    """The rule `propose_policy` suggests for a kind at a grade.

    General levels 1-2 (display conventions, GB/T 35273 examples): resident ID keep 6/4
    (region, sequence and check digit; the birth date hidden); mobile keep 3/4 after
    normalization; name keep the surname's first character; USCC keep 8/0 (authority, type
    and region; the organization code identifies the company); bank card keep 6/4 (issuer,
    last 4); landline keep 4/2; plate keep 2/1; passport keep 1/2; e-mail and IP keyed
    pseudonyms; birth date to the month; address to the city; GPS rounded to one decimal
    (cells of about 11 km, like an address cut to its city: a locality, not a street);
    other kept.

    Levels 3-4: every direct identifier becomes a keyed pseudonym (no digits shown), names
    are redacted, birth dates go to the year, addresses to the province, GPS is dropped.

    Important and core data: every detected column is dropped; only columns where nothing
    was detected are proposed `keep`, for the reviewer to decide. At every grade a column
    that could not be inspected (nested values) is dropped.
    """
    if kind is ColumnKind.OTHER:
        return ColumnRule(operator="keep")
    if kind is ColumnKind.UNINSPECTED:
        return ColumnRule(operator="drop")  # unknown content never leaves by default
    if grade.rank >= Sensitivity.important.rank:
        return ColumnRule(operator="drop")
    if grade.rank >= Sensitivity.general_3.rank:
        return _STRICT_RULES[kind]
    return _GENERAL_RULES[kind]


#: `default_rule` at general levels 1-2, for every detected kind (rules are frozen, so one
#: instance serves every policy).
_GENERAL_RULES: dict[ColumnKind, ColumnRule] = {
    ColumnKind.RESIDENT_ID: _mask(6, 4),
    ColumnKind.MOBILE: _mask(3, 4, normalize="mobile"),
    ColumnKind.NAME: ColumnRule(operator="mask_name"),
    ColumnKind.USCC: _mask(8, 0),
    ColumnKind.BANK_CARD: _mask(6, 4),
    ColumnKind.LANDLINE: _mask(4, 2),
    ColumnKind.PLATE: _mask(2, 1),
    ColumnKind.PASSPORT: _mask(1, 2),
    ColumnKind.EMAIL: _PSEUDONYM,
    ColumnKind.IP_ADDRESS: _PSEUDONYM,
    ColumnKind.BIRTH_DATE: ColumnRule(operator="generalize", generalize_to="month"),
    ColumnKind.ADDRESS: ColumnRule(operator="generalize", generalize_to="city"),
    ColumnKind.GPS: ColumnRule(operator="generalize", generalize_to="gps", decimals=1),
}
#: `default_rule` at general levels 3-4: no digit of a direct identifier is shown.
_STRICT_RULES: dict[ColumnKind, ColumnRule] = {
    ColumnKind.RESIDENT_ID: _PSEUDONYM,
    ColumnKind.MOBILE: ColumnRule(operator="pseudonymize", normalize="mobile"),
    ColumnKind.NAME: ColumnRule(operator="redact"),
    ColumnKind.USCC: _mask(8, 0),
    ColumnKind.BANK_CARD: _PSEUDONYM,
    ColumnKind.LANDLINE: _PSEUDONYM,
    ColumnKind.PLATE: _PSEUDONYM,
    ColumnKind.PASSPORT: _PSEUDONYM,
    ColumnKind.EMAIL: _PSEUDONYM,
    ColumnKind.IP_ADDRESS: _PSEUDONYM,
    ColumnKind.BIRTH_DATE: ColumnRule(operator="generalize", generalize_to="year"),
    ColumnKind.ADDRESS: ColumnRule(operator="generalize", generalize_to="province"),
    ColumnKind.GPS: ColumnRule(operator="drop"),
}


def propose_policy(
    detections: dict[str, ColumnDetection], *, grade: Sensitivity = DEFAULT_GRADE
) -> Policy:
    """A first policy from detections: each column gets its kind's `default_rule(kind,
    grade)`. Deterministic. A proposal for a person to review, not a guarantee: a column
    the detector missed is proposed `keep`.
    """
    return Policy(
        columns={name: default_rule(found.kind, grade) for name, found in detections.items()}
    )


def _generalize(values: ArrowColumn, rule: ColumnRule) -> ArrowColumn:
    match rule.generalize_to:
        case "age_band":
            return operators.generalize_age(values, band=rule.band)
        case "month" | "year":
            return operators.generalize_date(values, to=rule.generalize_to)
        case "province" | "city" | "district":
            return operators.generalize_address(values, level=rule.generalize_to)
        case "region_birth_year":
            return operators.generalize_resident_id(values)
        case "gps":
            return coordinates.generalize_coordinates(
                values, decimals=rule.decimals, grid=rule.grid
            )
        case None:
            raise ValueError("generalize needs generalize_to")


def apply_rule(
    values: ArrowColumn,
    rule: ColumnRule,
    *,
    key: bytes | None = None,
    cell_key: bytes | None = None,
    column: str = "",
    row_offset: int = 0,
) -> ArrowColumn:
    """Run one column through `rule` (which must not be `drop`).

    Keyless rules are deterministic; pseudonyms are deterministic for a given `key`; noise
    and date shifts for a given `cell_key` and absolute row position `row_offset + i`.
    """
    if rule.operator in AUDIENCE_KEYED_OPERATORS and key is None:
        raise MissingKey(f"the {rule.operator} rule on {column!r} needs a key")
    if rule.cell_keyed and cell_key is None:
        raise MissingKey(f"the {rule.operator} rule on {column!r} needs the dataset's cell_key")
    if rule.normalize == "mobile":
        values = normalize_mobile(values)
    where = _Where(key=key, cell_key=cell_key, column=column, row_offset=row_offset)
    return _OPERATIONS[rule.operator](values, rule, where)


@dataclass(frozen=True)
class _Where:
    """What a keyed operator needs besides the values: its key (checked present by
    `apply_rule`), the column's name and the absolute position of the first row."""

    key: bytes | None
    cell_key: bytes | None
    column: str
    row_offset: int


def _kept(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    return values


def _masked(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    return mask_partial(
        values, keep_first=rule.keep_first, keep_last=rule.keep_last, mask_char=rule.mask_char
    )


def _name_masked(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    return mask_name(values, mask_char=rule.mask_char)


def _redacted(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    return redact(values, replacement=rule.replacement)


def _pseudonymized(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    assert where.key is not None
    return operators.pseudonymize(values, where.key, length=rule.token_length)


def _generalized(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    return _generalize(values, rule)


def _truncated(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    assert rule.length is not None
    return operators.truncate(values, length=rule.length)


def _noised(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    assert where.cell_key is not None
    assert rule.epsilon is not None
    assert rule.sensitivity is not None
    return operators.add_laplace_noise(
        values,
        where.cell_key,
        epsilon=rule.epsilon,
        sensitivity=rule.sensitivity,
        column=where.column,
        row_offset=where.row_offset,
    )


def _date_shifted(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    assert where.cell_key is not None
    assert rule.max_days is not None
    return operators.shift_dates(
        values, where.cell_key, max_days=rule.max_days, row_offset=where.row_offset
    )


def _dropped(values: ArrowColumn, rule: ColumnRule, where: _Where) -> ArrowColumn:
    raise ValueError("a dropped column has no values to transform")


#: The step `apply_rule` runs for each operator (every `Operator` has one).
_OPERATIONS: dict[Operator, Callable[[ArrowColumn, ColumnRule, _Where], ArrowColumn]] = {
    "keep": _kept,
    "mask": _masked,
    "mask_name": _name_masked,
    "redact": _redacted,
    "pseudonymize": _pseudonymized,
    "generalize": _generalized,
    "truncate": _truncated,
    "noise": _noised,
    "date_shift": _date_shifted,
    "drop": _dropped,
}


def apply_policy(
    table: pa.Table,
    policy: Policy,
    *,
    key: bytes | None = None,
    cell_key: bytes | None = None,
    row_offset: int = 0,
) -> pa.Table:
    """Return `table` with every column transformed by its rule, in the input's order.

    Fails closed: a column absent from the policy is dropped like one whose rule is `drop`,
    so no raw column leaves without an explicit decision; a pseudonym rule without `key`, or
    a noise or date-shift rule without `cell_key`, raises `MissingKey`. `key` is the
    audience's (pseudonyms differ per audience); `cell_key` must be the dataset's, the same
    for every viewer, so that each noisy or shifted cell has one value whoever reads it.
    Rules for columns the table lacks are ignored, so one policy serves every batch of a
    dataset. `row_offset` is the absolute position of the table's first row (row-keyed
    operators use it). Schema metadata is not carried over: it can hold statistics (a
    Parquet writer's min/max) of the raw values.
    """
    if policy.audience_keyed and key is None:
        raise MissingKey("the policy has pseudonym rules: pass key (the audience's key)")
    if policy.cell_keyed and cell_key is None:
        raise MissingKey(
            "the policy has noise or date_shift rules: pass cell_key (the dataset's key)"
        )
    kept = [index for index, name in enumerate(table.column_names) if policy.releases(name)]
    # select() keeps the row count even when every column goes; replace_schema_metadata()
    # on a table without columns would not, so it comes first.
    result = table.replace_schema_metadata(None).select(kept)

    names = table.column_names

    def transform(index: int) -> ArrowColumn:
        name = names[index]
        rule = policy.columns[name]
        return apply_rule(
            table.column(index),
            rule,
            key=key,
            cell_key=cell_key,
            column=name,
            row_offset=row_offset,
        )

    # Arrow kernels release the GIL, so big tables transform their columns in parallel;
    # each column's result does not depend on the others, so the output is the same.
    # Pseudonyms (Python-level HMAC per distinct value) take longest: they start first,
    # so the other columns fill the remaining workers meanwhile.
    if table.num_rows >= _PARALLEL_ROWS and len(kept) > 1:
        slowest_first = sorted(
            kept, key=lambda i: policy.columns[names[i]].operator != "pseudonymize"
        )
        with ThreadPoolExecutor(max_workers=min(len(kept), os.cpu_count() or 1)) as pool:
            done = dict(zip(slowest_first, pool.map(transform, slowest_first), strict=True))
        columns = [done[index] for index in kept]
    else:
        columns = [transform(index) for index in kept]
    for position, (index, transformed) in enumerate(zip(kept, columns, strict=True)):
        result = result.set_column(position, table.column_names[index], transformed)
    return result

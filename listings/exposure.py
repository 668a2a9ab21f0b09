"""What compliance sees when a dataset is offered both as masked rows and through the sandbox.

The sandbox releases aggregates only with differential-privacy noise, charged to a budget.
The row release of the same dataset gives buyers exactly every value its policy keeps, so
any aggregate of those values (SUM, COUNT, MIN, MAX, quantiles, counts by group) is exact in
their hands, whatever the sandbox does. Offering both is a trade-off the reviewer must see
before approving: this module states, per released column, how exactly the rows give it
(``anonymize.exposure``), and in both languages what the sandbox can therefore no longer
protect.

The queue computes it from the policy alone (``measure=False``); the review page also reads
the first ``MEASURE_ROWS`` rows of the columns whose rule may leave values whole, to say how
many do. Only staff see either (the review endpoints); nothing here reaches a buyer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from anonymize import ColumnRule, Policy
from anonymize.exposure import (
    MEASURED_OPERATORS,
    Exposure,
    classify,
    count_released_whole,
)
from listings import storage
from listings.models import Dataset, DeliveryMode
from listings.public_view import coarse_type_of

MEASURE_ROWS = 100_000
_NUMERIC = ("integer", "number")


@dataclass(frozen=True)
class ColumnExposure:
    column: str
    operator: str
    exposure: Exposure
    whole_values: int | None  # measured: values released unchanged, of `values_read`
    values_read: int | None
    en: str
    zh: str


@dataclass(frozen=True)
class Tradeoff:
    delivery_mode: DeliveryMode
    measured: bool
    columns: list[ColumnExposure]
    sandbox_cannot_protect: list[tuple[str, str]] = field(default_factory=list)

    def named(self, exposure: Exposure) -> list[str]:
        return [c.column for c in self.columns if c.exposure == exposure]


def _describe(
    name: str, rule: ColumnRule, exposure: Exposure, whole: int | None, read: int | None
) -> tuple[str, str]:
    """One column's line, in English and Chinese."""
    counted = (
        (f" ({whole:,} of the first {read:,} values)", f"（前 {read:,} 个值中有 {whole:,} 个）")
        if whole is not None and read is not None
        else ("", "")
    )
    texts = {
        "exact": (
            f"{name}: every value is released exactly ({rule.operator}){counted[0]}.",
            f"{name}：所有值原样发布（{rule.operator}）{counted[1]}。",
        ),
        "partly_exact": (
            f"{name}: {rule.operator} releases some values whole (short values, or values "
            f"already at its level){counted[0]}; the rest coarsened.",
            f"{name}：{rule.operator} 会原样发布部分值（较短的值或已处于该粒度的值）"
            f"{counted[1]}，其余粗化后发布。",
        ),
        "grouped": (
            f"{name}: no value is released whole{counted[0]}, but its released form "
            f"({rule.operator}: visible characters, coarsened values or pseudonyms) sorts the "
            f"rows into groups that can be counted exactly.",
            f"{name}：不原样发布任何值{counted[1]}，但其发布形式（{rule.operator}：可见字符、"
            f"粗化值或假名）可将各行精确分组计数。",
        ),
        "approximate": (
            f"{name}: no value is exact ({rule.operator}), but per-row noise averages out over "
            f"many rows.",
            f"{name}：不发布原值（{rule.operator}），但逐行噪声在多行汇总后会相互抵消。",
        ),
        "protected": (
            f"{name}: nothing of the value is released ({rule.operator}).",
            f"{name}：不发布任何原值信息（{rule.operator}）。",
        ),
    }
    return texts[exposure]


def _measure(
    dataset: Dataset, rules: dict[str, ColumnRule], data_dir: Path
) -> tuple[dict[str, int], int]:
    """Values each rule releases whole among the first MEASURE_ROWS rows (those columns only)."""
    names = [n for n, r in rules.items() if r.operator in MEASURED_OPERATORS | {"keep"}]
    if not names:
        return {}, 0
    parquet = pq.ParquetFile(storage.ensure_local(data_dir, dataset.file_path))
    batch = next(parquet.iter_batches(batch_size=MEASURE_ROWS, columns=names), None)
    if batch is None:
        return dict.fromkeys(names, 0), 0
    return {
        name: count_released_whole(batch.column(name), rules[name]) for name in names
    }, batch.num_rows


def _column_exposure(
    name: str, rule: ColumnRule, whole: int | None, read: int | None
) -> ColumnExposure:
    exposure = classify(rule)
    if exposure == "partly_exact" and whole is not None and read is not None:
        # Measured: every value whole is exact; none whole leaves the coarsened form only.
        if read and whole == read:
            exposure = "exact"
        elif whole == 0:
            exposure = "grouped"
    en, zh = _describe(name, rule, exposure, whole, read)
    return ColumnExposure(name, rule.operator, exposure, whole, read, en, zh)


def tradeoff(
    dataset: Dataset, *, data_dir: Path | None = None, measure: bool = False
) -> Tradeoff | None:
    """The trade-off of a dataset offered both ways, under its current (draft) policy, the
    one a reviewer approves; ``None`` when it does not offer both or has no policy yet."""
    if dataset.delivery_mode is not DeliveryMode.both or dataset.policy is None:
        return None
    policy = Policy.model_validate(dataset.policy)
    names = [str(c["name"]) for c in dataset.columns]
    rules = {n: policy.columns[n] for n in names if policy.releases(n)}
    counts, read = _measure(dataset, rules, data_dir) if measure and data_dir else ({}, 0)
    columns = [
        _column_exposure(n, r, counts.get(n), read if n in counts else None)
        for n, r in rules.items()
    ]
    types = {str(c["name"]): coarse_type_of(str(c.get("type", ""))) for c in dataset.columns}
    result = Tradeoff(DeliveryMode.both, bool(counts), columns)
    result.sandbox_cannot_protect.extend(_unprotected(result, types))
    return result


def _join(names: list[str]) -> tuple[str, str]:
    return ", ".join(names), "、".join(names)


def _unprotected(result: Tradeoff, types: dict[str, str]) -> list[tuple[str, str]]:
    """What the rows give exactly or nearly, so the sandbox's noise adds nothing to it."""
    lines = [
        (
            "COUNT(*) of the whole dataset: the rows give the exact number of rows.",
            "全表 COUNT(*)：明细直接给出精确行数。",
        )
    ]
    exact = result.named("exact")
    numeric = [n for n in exact if types.get(n) in _NUMERIC]
    if numeric:
        en, zh = _join(numeric)
        lines.append(
            (
                f"SUM, AVG, MIN, MAX, MEDIAN, VARIANCE and every quantile of {en}: exact from "
                f"the rows.",
                f"{zh} 的 SUM、AVG、MIN、MAX、MEDIAN、VARIANCE 及各分位数：可由明细精确算出。",
            )
        )
    if exact:
        en, zh = _join(exact)
        lines.append(
            (
                f"COUNT(*) filtered on or grouped by {en} (alone or combined), and their "
                f"COUNT(DISTINCT): exact.",
                f"按 {zh}（单独或组合）筛选或分组的 COUNT(*)，及其 COUNT(DISTINCT)：精确。",
            )
        )
    partly = result.named("partly_exact")
    if partly:
        en, zh = _join(partly)
        lines.append(
            (
                f"Aggregates over the values of {en} the rule leaves whole, and COUNT(*) "
                f"grouped by their released form: exact.",
                f"{zh} 中被原样发布的值的聚合，以及按其发布形式分组的 COUNT(*)：精确。",
            )
        )
    grouped = result.named("grouped")
    if grouped:
        en, zh = _join(grouped)
        lines.append(
            (
                f"COUNT(*) grouped by the released form of {en} (coarsened values, visible "
                f"characters, or pseudonyms: rows per person) and COUNT(DISTINCT): exact.",
                f"按 {zh} 的发布形式（粗化值、可见字符或假名：每人行数）分组的 COUNT(*) "
                f"及 COUNT(DISTINCT)：精确。",
            )
        )
    approximate = result.named("approximate")
    if approximate:
        en, zh = _join(approximate)
        lines.append(
            (
                f"SUM and AVG of {en}: approximate from the rows, since per-row noise "
                f"averages out over many rows.",
                f"{zh} 的 SUM 与 AVG：逐行噪声在多行汇总后相互抵消，可由明细近似算出。",
            )
        )
    return lines

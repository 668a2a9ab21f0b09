"""How much of a column a rule releases exactly: the facts a reviewer weighs when the same data
is offered both as masked rows and through a differential-privacy sandbox.

A value a rule releases whole (unchanged) is an exact value in the buyer's hands, and exact
values give exact aggregates: the sandbox's noise cannot protect a SUM or a COUNT the rows
already give. `classify` says what a rule can release; `count_released_whole` measures, on the
raw values, how many it does.
"""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from anonymize._text import ArrowColumn, as_text
from anonymize.masking import normalize_mobile
from anonymize.policy import ColumnRule, apply_rule

Exposure = Literal["exact", "partly_exact", "grouped", "approximate", "protected"]
# Keyless rules that may leave a value unchanged (a short value under a mask, a value already
# at the generalization's level): measured, value by value.
MEASURED_OPERATORS = frozenset({"mask", "mask_name", "truncate", "generalize"})


def classify(rule: ColumnRule) -> Exposure:
    """What a rule releases, before looking at any value.

    - `exact`: `keep` releases every value as stored (after an optional normalization).
    - `partly_exact`: masks and truncations release values short enough whole, and
      generalizations release values already at their level; measure with
      `count_released_whole`. What they do not release whole they release coarsened, so
      counts grouped by the released form stay exact either way.
    - `grouped`: pseudonyms hide values but keep their equality: exact counts per value
      (per person), COUNT(DISTINCT) and linkage between rows.
    - `approximate`: per-row noise and date shifts: no value is exact, but unbiased noise
      averages out, so sums and means over many rows are close to the true ones.
    - `protected`: redaction releases nothing of the value.
    """
    match rule.operator:
        case "keep":
            return "exact"
        case "mask" | "mask_name" | "truncate" | "generalize":
            return "partly_exact"
        case "pseudonymize":
            return "grouped"
        case "noise" | "date_shift":
            return "approximate"
        case _:
            return "protected"


def count_released_whole(values: ArrowColumn, rule: ColumnRule) -> int:
    """How many non-null values `rule` releases unchanged (as text), for keyless rules.

    Compares each released value with the stored one as text (after the rule's own
    normalization, so a mobile a mask keeps entirely counts as whole). `keep` releases every
    non-null value; keyed rules (pseudonyms, noise, shifts) never release a value unchanged
    and are not measured here (0).
    """
    if rule.operator == "keep":
        return len(values) - values.null_count
    if rule.operator not in MEASURED_OPERATORS:
        return 0
    released = apply_rule(values, rule)
    original = normalize_mobile(values) if rule.normalize == "mobile" else as_text(values)
    same = pc.equal(pc.cast(released, pa.large_string()), pc.cast(original, pa.large_string()))
    return int(pc.sum(pc.cast(pc.fill_null(same, False), pa.int64())).as_py() or 0)

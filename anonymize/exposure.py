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
# Keyless rules that may leave a value unchanged (a value no longer than a truncation, a value
# already at the generalization's level): measured, value by value. Masks never do: a value
# too short to keep its ends is masked whole (``masking.mask_partial``).
MEASURED_OPERATORS = frozenset({"truncate", "generalize"})


def classify(rule: ColumnRule) -> Exposure:
    """What a rule releases, before looking at any value.

    - `exact`: `keep` releases every value as stored (after an optional normalization).
    - `partly_exact`: truncations release values short enough whole, and generalizations
      release values already at their level; measure with `count_released_whole`. What they
      do not release whole they release coarsened, so counts grouped by the released form
      stay exact either way.
    - `grouped`: masks show some characters of every value (never all of one), pseudonyms
      hide values but keep their equality: exact counts per released form (per region
      prefix, per person), COUNT(DISTINCT) and linkage between rows.
    - `approximate`: per-row noise and date shifts: no value is exact, but unbiased noise
      averages out, so sums and means over many rows are close to the true ones.
    - `protected`: redaction releases nothing of the value.
    """
    match rule.operator:
        case "keep":
            return "exact"
        case "truncate" | "generalize":
            return "partly_exact"
        case "mask" | "mask_name" | "pseudonymize":
            return "grouped"
        case "noise" | "date_shift":
            return "approximate"
        case _:
            return "protected"


def count_released_whole(values: ArrowColumn, rule: ColumnRule) -> int:
    """How many non-null values `rule` releases unchanged (as text), for keyless rules.

    Compares each released value with the stored one as text (after the rule's own
    normalization, so a normalized mobile counts as itself). `keep` releases every non-null
    value; masks never release a value whole, and keyed rules (pseudonyms, noise, shifts)
    never release a value unchanged: neither is measured here (0).
    """
    if rule.operator == "keep":
        return len(values) - values.null_count
    if rule.operator not in MEASURED_OPERATORS:
        return 0
    released = apply_rule(values, rule)
    original = normalize_mobile(values) if rule.normalize == "mobile" else as_text(values)
    same = pc.equal(pc.cast(released, pa.large_string()), pc.cast(original, pa.large_string()))
    return int(pc.sum(pc.cast(pc.fill_null(same, False), pa.int64())).as_py() or 0)

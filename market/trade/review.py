"""Which orders need compliance approval before payment.

Datasets graded "important" (重要数据) or "core" (核心数据) under the national data
classification rules may only be traded after compliance approves the order. Grading belongs to
the governance domain and is not stored yet: until a dataset carries a ``grade``, every dataset
is treated as "general" (一般数据) and orders go straight to payment.
"""

from __future__ import annotations

REVIEWED_GRADES = frozenset({"important", "core"})


def grade_of(dataset: object) -> str:
    grade = getattr(dataset, "grade", None)
    return str(getattr(grade, "value", grade) or "general").lower()


def requires_trade_review(dataset: object) -> bool:
    return grade_of(dataset) in REVIEWED_GRADES

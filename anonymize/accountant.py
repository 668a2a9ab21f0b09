"""Privacy accounting helpers: exact ε/δ arithmetic and sequential composition.

The budget of record is a database ledger (``sandbox.models.PrivacyLedgerEntry``); these are
the pure functions it uses. diffprivlib's ``BudgetAccountant`` is in-memory and unlocked, so
it cannot be the record in a multi-process service.

Amounts are integers of fixed units (ε in micro-units, δ in 1e-15 units) so sums over a ledger
are exact on every database and never drift by floating-point rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

EPSILON_UNIT = 1_000_000  # ε is stored in millionths
DELTA_UNIT = 1_000_000_000_000_000  # δ is stored in units of 1e-15


def epsilon_to_units(epsilon: float) -> int:
    """ε in millionths, rounded **up** so a charge is never smaller than what is spent."""
    if not (math.isfinite(epsilon) and epsilon >= 0):
        raise ValueError("epsilon must be finite and non-negative")
    return math.ceil(round(epsilon * EPSILON_UNIT, 6))


def delta_to_units(delta: float) -> int:
    """δ in units of 1e-15, rounded up."""
    if not (math.isfinite(delta) and 0 <= delta < 1):
        raise ValueError("delta must be in [0, 1)")
    return math.ceil(round(delta * DELTA_UNIT, 3))


def epsilon_from_units(units: int) -> float:
    return units / EPSILON_UNIT


def delta_from_units(units: int) -> float:
    return units / DELTA_UNIT


def compose_sequential(charges: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """Basic sequential composition: ε and δ of several releases add up (units in, units out).

    Looser than advanced composition, but valid for any mechanism and any adaptively chosen
    sequence of queries, which is what a buyer sending queries one after another is.
    """
    eps = delt = 0
    for e, d in charges:
        eps += e
        delt += d
    return eps, delt


def split_evenly(epsilon: float, parts: int) -> float:
    """ε for each of ``parts`` releases of one query; by sequential composition they sum to ε."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    return epsilon / parts

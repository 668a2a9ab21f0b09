"""Synthetic samples made from public metadata alone, never from stored values.

A dataset offered only through the differential-privacy sandbox must not hand out real rows,
not even masked ones: a masked row still carries exactly every value its policy keeps, and
exact values give exact sums and counts that the sandbox exists to protect. Buyers still need
to see the shape of what they are buying, so its sample is synthetic.

Guarantee: `synthetic_release` is a pure function of its arguments: the schema (column names
and types), the released form (the policy), the declared public domains and bounds, the number
of rows and a seed. It never receives a stored value, so no cell of its output can carry
information about the data; a cell equals a stored value only when that value is in a declared
public domain (public by declaration), or by coincidence of two independent draws, which the
value spaces below make improbable (text tokens carry 48 random bits, dates fall in the 22nd
century, numbers are drawn inside the declared bounds or a fixed range). Values are then passed
through the policy's rules, so the sample has the released form a buyer would see.

Deterministic: the same arguments give the same table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from anonymize.operators import derive_key
from anonymize.policy import Policy, apply_policy

# Synthetic dates fall in 2100-2199: a glance at a copied cell shows it is not real data.
_FIRST_DAY = date(2100, 1, 1)
_DAYS = 36_524
# Numbers without declared bounds are drawn from a fixed public range.
_DEFAULT_RANGE = (0.0, 1000.0)


def released_schema(schema: pa.Schema, policy: Policy) -> pa.Schema:
    """The schema of what `policy` releases from a table of `schema`: the released columns,
    in order, with the type each rule gives them. Computed by running the real operators over
    a table with no rows, so it needs no value and never drifts from what rows look like."""
    empty = pa.schema([pa.field(f.name, f.type) for f in schema]).empty_table()
    key = derive_key(b"\0" * 32, "schema")  # keyed rules need some key; there is no value
    return apply_policy(empty, policy, key=key, cell_key=key).schema


def synthetic_release(
    schema: pa.Schema,
    policy: Policy,
    *,
    rows: int,
    seed: bytes,
    public_domains: Mapping[str, Sequence[Any]] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> pa.Table:
    """`rows` synthetic rows in the released form of `policy` (see the module docstring).

    A column with a public domain draws from it; a numeric column with bounds draws inside
    them; other columns draw from fixed synthetic spaces of their type. Keyed rules
    (pseudonyms, noise, date shifts) run under a key derived from `seed`, which is not a
    secret: there is nothing to hide in synthetic values.
    """
    domains = public_domains or {}
    limits = bounds or {}
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed).digest()[:16], "big"))
    released = [f for f in schema if policy.releases(f.name)]
    columns = {
        f.name: _column(f, rows, rng, domains.get(f.name), limits.get(f.name)) for f in released
    }
    table = pa.table(columns) if columns else pa.table({"_": pa.nulls(rows)}).select([])
    # Synthetic values are public, so one key serves pseudonyms and noise alike.
    key = derive_key(seed, "synthetic")
    return apply_policy(table, policy, key=key, cell_key=key)


def _column(
    field: pa.Field,
    rows: int,
    rng: np.random.Generator,
    domain: Sequence[Any] | None,
    bound: tuple[float, float] | None,
) -> pa.Array:
    """One synthetic column: draws from the declared public domain, else by type (`_DRAWS`).
    No stored value is an argument, so none can reach the output."""
    if domain:
        return _from_domain(field.type, [domain[i] for i in rng.integers(0, len(domain), rows)])
    draw = next((draw for accepts, draw in _DRAWS if accepts(field.type)), None)
    if draw is None:
        return pa.nulls(rows, field.type)  # nested or binary columns: no synthetic form, only nulls
    return draw(rows, rng, bound)


_Draw = Callable[[int, np.random.Generator, tuple[float, float] | None], pa.Array]


def _integers(rows: int, rng: np.random.Generator, bound: tuple[float, float] | None) -> pa.Array:
    low, high = bound or _DEFAULT_RANGE
    first, last = int(np.ceil(low)), int(np.floor(high))
    return pa.array(rng.integers(first, max(first, last) + 1, rows), pa.int64())


def _fractions(rows: int, rng: np.random.Generator, bound: tuple[float, float] | None) -> pa.Array:
    low, high = bound or _DEFAULT_RANGE
    return pa.array(np.round(rng.uniform(low, high, rows), 2), pa.float64())


def _dates(rows: int, rng: np.random.Generator, bound: tuple[float, float] | None) -> pa.Array:
    days = rng.integers(0, _DAYS, rows)
    return pa.array([_FIRST_DAY + timedelta(days=int(d)) for d in days], pa.date32())


def _timestamps(rows: int, rng: np.random.Generator, bound: tuple[float, float] | None) -> pa.Array:
    seconds = rng.integers(0, _DAYS * 86_400, rows)
    start = datetime(_FIRST_DAY.year, 1, 1)
    return pa.array([start + timedelta(seconds=int(s)) for s in seconds], pa.timestamp("us"))


def _booleans(rows: int, rng: np.random.Generator, bound: tuple[float, float] | None) -> pa.Array:
    return pa.array(rng.random(rows) < 0.5, pa.bool_())


def _tokens(rows: int, rng: np.random.Generator, bound: tuple[float, float] | None) -> pa.Array:
    tokens = rng.integers(0, 2**48, rows, dtype=np.int64)
    return pa.array([f"synthetic-{t:012x}" for t in tokens], pa.string())


def _fractional(kind: pa.DataType) -> bool:
    return bool(pa.types.is_floating(kind) or pa.types.is_decimal(kind))


def _text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


#: How a column without a public domain is drawn, by the first type test it passes: numbers
#: inside the declared bounds (or the fixed range), dates and timestamps in 2100-2199, text
#: as random tokens.
_DRAWS: tuple[tuple[Callable[[pa.DataType], bool], _Draw], ...] = (
    (pa.types.is_integer, _integers),
    (_fractional, _fractions),
    (pa.types.is_date, _dates),
    (pa.types.is_timestamp, _timestamps),
    (pa.types.is_boolean, _booleans),
    (_text, _tokens),
)


def _from_domain(kind: pa.DataType, values: list[Any]) -> pa.Array:
    """Domain values in the column's type; a domain declared in another type (numbers as
    text) keeps its own, since its values are what the provider made public."""
    try:
        return pa.array(values, kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())

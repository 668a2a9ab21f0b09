"""Generalization of GPS coordinates: every point snaps to the centre of its grid cell.

Guarantee: keyless, deterministic (the same input always gives the same output) and not
reversible: every point within half a cell of a grid point comes out as that grid point,
so the release tells where a point is only to within the cell. With `decimals=2` a cell is
0.01° (about 1.1 km north-south, less east-west away from the equator); `decimals=1` is
about 11 km. It is not anonymity by itself: in a sparse area one cell can hold a single
person, so a generalized location column belongs among the quasi-identifiers of the
k-anonymity report.

Values are read to the nano-degree (1e-9°, 0.1 mm) and snapped in integer arithmetic,
rounding a point exactly halfway between two grid points away from zero, so the result
does not depend on binary floating-point quirks (39.905 with 2 decimals gives 39.91).

Accepted inputs: numeric columns (one coordinate per value, float64 out); text holding one
coordinate ("39.9042") or a pair ("39.9042,116.4074", "(39.9042, 116.4074)", full-width
digits and commas) gives text with exactly the cell's decimals ("39.90,116.41"). A value
that is not a coordinate, or is beyond ±180°, becomes null rather than leak. Nulls stay
null.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymize._text import ArrowColumn, as_text_array, nfkc

_NANO = 10**9
MAX_DECIMALS = 6
_NUMBER = r"-?[0-9]{1,3}(?:\.[0-9]+)?"
_SINGLE = rf"^(?P<a>{_NUMBER})$"
_PAIR = rf"^\(?\s*(?P<a>{_NUMBER})\s*[,\s]\s*(?P<b>{_NUMBER})\s*\)?$"


def cell_size(*, decimals: int | None = None, grid: float | None = None) -> int:
    """The grid step in nano-degrees: 10^-decimals degrees, or `grid` degrees (a multiple
    of 10^-6). Exactly one of the two must be given."""
    if (decimals is None) == (grid is None):
        raise ValueError("give either decimals or grid, not both or neither")
    if decimals is not None:
        if not 0 <= decimals <= MAX_DECIMALS:
            raise ValueError(f"decimals must be between 0 and {MAX_DECIMALS}")
        return 10 ** (9 - decimals)
    assert grid is not None
    step = round(grid * _NANO)
    if not 0 < grid <= 10 or step % 10 ** (9 - MAX_DECIMALS) or abs(step - grid * _NANO) > 1:
        raise ValueError("grid must be between 0.000001 and 10 degrees, in steps of 0.000001")
    return step


def _decimals_of(step: int) -> int:
    """How many decimals print every multiple of `step` nano-degrees exactly."""
    decimals = 9
    while decimals and step % 10 == 0:
        step //= 10
        decimals -= 1
    return decimals


def _snap(numbers: pa.Array, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Each number snapped to the nearest multiple of `step` (nano-degrees, int64), and
    which numbers were usable (finite, within ±180°)."""
    raw = pc.fill_null(pc.cast(numbers, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    usable = np.isfinite(raw) & (np.abs(raw) <= 180)
    nano = np.rint(np.where(usable, raw, 0.0) * _NANO).astype(np.int64)
    cells = (np.abs(nano) + step // 2) // step
    return np.sign(nano) * cells * step, usable


def _as_text(snapped: np.ndarray, usable: np.ndarray, step: int) -> pa.Array:
    """Snapped nano-degrees as decimal text with the cell's decimals ("-0.50", "116")."""
    decimals = _decimals_of(step)
    units = np.abs(snapped) // 10 ** (9 - decimals)
    whole = pc.cast(pa.array(units // 10**decimals), pa.string())
    sign = pc.if_else(pa.array(snapped < 0), "-", "")
    text = pc.binary_join_element_wise(sign, whole, "")
    if decimals:
        fraction = pc.utf8_lpad(pc.cast(pa.array(units % 10**decimals), pa.string()), decimals, "0")
        text = pc.binary_join_element_wise(text, fraction, ".")
    return pc.if_else(pa.array(usable), text, pa.scalar(None, pa.string()))


def _generalize_text(text: pa.Array, step: int) -> pa.Array:
    pair = pc.extract_regex(text, _PAIR)
    single = pc.extract_regex(text, _SINGLE)
    is_pair = pc.fill_null(pc.is_valid(pair), False)
    null = pa.scalar(None, text.type)
    first = pc.if_else(is_pair, pc.struct_field(pair, 0), pc.struct_field(single, 0))
    first = pc.if_else(pc.or_(is_pair, pc.is_valid(single)), first, null)
    second = pc.if_else(is_pair, pc.struct_field(pair, 1), null)
    first_text = _as_text(*_snap(pc.cast(first, pa.float64()), step), step)
    second_text = _as_text(*_snap(pc.cast(second, pa.float64()), step), step)
    # A pair with a coordinate out of range becomes null as a whole (the join emits null).
    joined = pc.binary_join_element_wise(first_text, second_text, ",")
    return pc.if_else(is_pair, joined, first_text)


def generalize_coordinates(
    values: ArrowColumn, *, decimals: int | None = None, grid: float | None = None
) -> ArrowColumn:
    """Round coordinates to `decimals` decimal places, or snap them to a grid of `grid`
    degrees (give exactly one). Keyless, deterministic, not reversible (see the module
    docstring for what a cell hides). Numbers give float64; text gives text with the
    cell's decimals, pairs as "lat,lng" in their original order; anything else, null.
    """
    step = cell_size(decimals=decimals, grid=grid)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    kind = values.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        snapped, usable = _snap(values, step)
        return pa.array(snapped / _NANO, pa.float64(), mask=~usable)
    return _generalize_text(pc.utf8_trim_whitespace(nfkc(as_text_array(values))), step)

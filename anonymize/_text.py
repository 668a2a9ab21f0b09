"""Conversions between Arrow columns of any scalar type and text, shared by the detectors,
the operators and the synthetic generators."""

from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ArrowColumn: TypeAlias = pa.Array | pa.ChunkedArray

# Floats hold integers exactly only up to 2**53; beyond that, digits were already lost.
_FLOAT_EXACT_LIMIT = 2.0**53


def as_text(values: ArrowColumn) -> ArrowColumn:
    """Return `values` as a string column, keeping its chunking and its nulls.

    Integers become their decimal digits, so a mobile column parsed as int64 reads as
    `13812345678`. Integral floats become integers first, because Arrow's float-to-string
    cast writes `1.3812345678e+10`. Dictionary columns are decoded. Binary columns are read
    as UTF-8; bytes that are not valid UTF-8 (remnants of a wrongly decoded export) become
    U+FFFD, so they can still be detected and masked rather than crash or pass through.
    Raises `pa.ArrowInvalid` or `pa.ArrowNotImplementedError` for types with no text form
    (lists, structs, maps).
    """
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            return pc.cast(values, pa.string())
        except pa.ArrowInvalid:
            # Rare (a Parquet upload with broken text): one Python decode per value.
            decoded = [
                None if v is None else v.decode("utf-8", "replace") for v in values.to_pylist()
            ]
            return pa.array(decoded, pa.string())
    if pa.types.is_dictionary(kind):
        return as_text(values.cast(kind.value_type))
    if pa.types.is_floating(kind):
        integral = pc.and_(
            pc.equal(pc.floor(values), values),
            pc.less(pc.abs(values), _FLOAT_EXACT_LIMIT),
        )
        # if_else evaluates both branches; the unsafe int cast only matters where integral.
        as_integer = pc.cast(pc.cast(values, pa.int64(), safe=False), pa.string())
        return pc.if_else(integral, as_integer, pc.cast(values, pa.string()))
    return pc.cast(values, pa.string())


def as_text_array(values: ArrowColumn) -> pa.LargeStringArray:
    """`as_text`, then one contiguous large_string array (64-bit offsets never overflow)."""
    text = as_text(values)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks else pa.array([], pa.string())
    return text.cast(pa.large_string())


def fixed_width_codes(values: pa.LargeStringArray, width: int) -> np.ndarray:
    """View a null-free array of exactly `width`-byte strings as an (n, width) uint8 matrix.

    Reads the Arrow offsets and data buffers directly, so the cost is one gather per byte
    with no Python object per value. The caller guarantees the width (e.g. by a regex that
    admits only ASCII characters); the function checks it rather than trusting it.
    """
    length = len(values)
    if length == 0:
        return np.zeros((0, width), dtype=np.uint8)
    _, offsets_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        values.offset : values.offset + length + 1
    ]
    if not np.all(np.diff(offsets) == width):
        raise ValueError(f"every value must be exactly {width} bytes")
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    return data[offsets[:-1, None] + np.arange(width)]


def ascii_codes(strings: np.ndarray) -> np.ndarray:
    """View a numpy array of equally long ASCII strings as an (n, width) uint8 matrix."""
    encoded = strings.astype(bytes)
    return encoded.view(np.uint8).reshape(len(strings), encoded.itemsize)

"""Conversions between Arrow columns of any scalar type and text, shared by the detectors,
the operators and the synthetic generators."""

from collections.abc import Callable
from functools import cache
from typing import TypeAlias

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from anonymize import _buffers

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


def ascii_codes(strings: np.ndarray) -> np.ndarray:
    """View a numpy array of equally long ASCII strings as an (n, width) uint8 matrix."""
    encoded = strings.astype(bytes)
    return encoded.view(np.uint8).reshape(len(strings), encoded.itemsize)


# Up to this many rows `encode_distinct` dictionary-encodes the strings directly.
_DICTIONARY_ROWS = 4096


def encode_distinct(text: pa.LargeStringArray) -> tuple[pa.LargeStringArray, pa.Int32Array]:
    """The distinct non-null values of `text` and, per row, the position of the row's value
    among them (null for a null row), so that `distinct.take(indices)` equals `text`.

    Rows are grouped by a 64-bit hash of their value (polars), which is several times
    faster than dictionary-encoding the strings themselves. The grouping is then checked
    exactly: every row must equal its group's representative. Should two different values
    share a hash, the check fails and the strings are dictionary-encoded instead, so the
    result never depends on the hash function.
    """
    if len(text) <= _DICTIONARY_ROWS:
        # A page of rows: the hash pass costs a fixed ~0.2 ms, dictionary-encoding a few
        # hundred strings microseconds. Same values and indices either way (only the order
        # of the distinct values may differ, which no caller depends on).
        encoded = pc.dictionary_encode(text)
        return encoded.dictionary, encoded.indices
    hashes = pl.Series(text).hash().to_arrow()
    if text.null_count:
        hashes = pc.if_else(pc.is_valid(text), hashes, pa.scalar(None, hashes.type))
    groups = pc.dictionary_encode(hashes)
    indices = groups.indices
    # Any row of a group can represent it: scatter each row number to its group's slot.
    group_of_row = pc.fill_null(indices, 0).to_numpy(zero_copy_only=False)
    rows = np.arange(len(text))
    if text.null_count:
        rows = rows[pc.is_valid(text).to_numpy(zero_copy_only=False)]
    representative = np.zeros(len(groups.dictionary), dtype=np.int64)
    representative[group_of_row[rows]] = rows
    distinct = text.take(pa.array(representative))
    if pc.all(pc.equal(distinct.take(indices), text)).as_py() is False:
        encoded = pc.dictionary_encode(text)
        return encoded.dictionary, encoded.indices
    return distinct, indices


def map_chunks(values: ArrowColumn, transform: Callable[[pa.Array], pa.Array]) -> ArrowColumn:
    """Apply a per-array `transform` to `values`, chunk by chunk if it is chunked."""
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([transform(chunk) for chunk in values.chunks], type=values.type)
    return transform(values)


def nfkc(text: ArrowColumn) -> ArrowColumn:
    """Unicode NFKC normalization (full-width １３８ and Ｘ become 138 and X). ASCII text is
    its own NFKC form, so all-ASCII chunks are returned as they are, without a pass."""
    return map_chunks(
        text,
        lambda chunk: chunk if _buffers.is_ascii(chunk) else pc.utf8_normalize(chunk, "NFKC"),
    )


def upper(text: ArrowColumn) -> ArrowColumn:
    """Upper case; all-ASCII chunks take Arrow's ASCII kernel, which gives the same text."""
    return map_chunks(
        text,
        lambda chunk: pc.ascii_upper(chunk) if _buffers.is_ascii(chunk) else pc.utf8_upper(chunk),
    )


@cache
def _single_character_table(pattern: str) -> np.ndarray:
    return _buffers.ascii_matches(pattern)


def remove_matches(text: ArrowColumn, pattern: str) -> ArrowColumn:
    """Remove every match of `pattern`, a regex matching single characters (a character
    class such as `[\\s\\-]`): `pc.replace_substring_regex(text, pattern, "")`, with
    all-ASCII chunks done by dropping bytes (`_buffers.remove_bytes`) instead of running
    the regex, driven by a table of the ASCII characters the regex itself matches.
    """
    table = _single_character_table(pattern)
    return map_chunks(
        text,
        lambda chunk: (
            _buffers.remove_bytes(chunk, table)
            if _buffers.is_ascii(chunk)
            else pc.replace_substring_regex(chunk, pattern, "")
        ),
    )

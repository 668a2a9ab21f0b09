"""Arrow string arrays as numpy byte buffers, for the few kernels Arrow's string functions
and regexes make slow.

- Masking with Arrow's string functions takes about ten passes (lengths, head, tail,
  repeat, join, a whole-mask variant, a choice between them), each allocating a new
  string array. `mask_characters` is one pass over the UTF-8 bytes: a hidden character
  becomes the mask byte and, for a multi-byte character, its continuation bytes are
  dropped; for ASCII text the offsets and validity bitmap are kept as they are.
- `fixed_width_match` checks a fixed-width shape (17 digits then a digit or X) with one
  comparison per position over a byte matrix instead of a regex pass.
- `remove_bytes` drops separator bytes (spaces, dashes) from ASCII text in one pass.
- `fixed_width_strings` builds a column of fixed-width tokens (pseudonyms) by one gather
  from a byte matrix, instead of a `take` over a string array.

Everything stays vectorized (numpy over whole buffers, no Python call per value), and each
kernel gives the same strings as the Arrow function or regex it stands in for, which the
tests check on arbitrary Unicode; callers fall back to Arrow where a kernel does not apply
(non-ASCII text for the byte-level removal, a non-ASCII mask character).
"""

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

StringArray: TypeAlias = pa.StringArray | pa.LargeStringArray

# Bytes that can start a UTF-8 code point (every byte but the 10xxxxxx continuations).
_CONTINUATION_MASK, _CONTINUATION = 0xC0, 0x80


def string_buffers(values: StringArray) -> tuple[np.ndarray, np.ndarray]:
    """`(offsets, data)` of a string array: the n + 1 slot boundaries as int64 positions
    into `data`, starting at 0, and the uint8 bytes they delimit (zero-copy when the
    array's own offsets start at 0). Null slots are included like any other slot."""
    if len(values) == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    _, offsets_buffer, data_buffer = values.buffers()[:3]
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=width)[
        values.offset : values.offset + len(values) + 1
    ].astype(np.int64)
    start, end = int(offsets[0]), int(offsets[-1])
    if data_buffer is None:  # every slot is empty
        return offsets - start, np.zeros(0, dtype=np.uint8)
    return offsets - start, np.frombuffer(data_buffer, dtype=np.uint8)[start:end]


def from_buffers(like: StringArray, offsets: np.ndarray, data: np.ndarray) -> StringArray:
    """A string array of `like`'s type and nulls with the given slots (offsets from 0)."""
    validity = like.is_valid().buffers()[1] if like.null_count else None
    width = np.int64 if pa.types.is_large_string(like.type) else np.int32
    return pa.Array.from_buffers(
        like.type,
        len(like),
        [validity, pa.py_buffer(offsets.astype(width)), pa.py_buffer(data)],
        null_count=like.null_count,
    )


def _counter(size: int) -> type:
    """The narrowest integer type for running counts over `size` bytes (int32 halves the
    memory traffic of a cumsum over a big buffer)."""
    return np.int32 if size < 2**31 else np.int64


def fixed_width_strings(matrix: np.ndarray, rows: pa.Array) -> pa.StringArray:
    """A string column whose value i is row `rows[i]` of the (k, width) byte `matrix`
    (ASCII), or null where `rows[i]` is null: one gather of the bytes, offsets computed
    from the fixed width. Null slots are empty."""
    width = matrix.shape[1]
    validity = None
    if rows.null_count:
        valid = pc.is_valid(rows)
        validity = valid.buffers()[1]
        present = valid.to_numpy(zero_copy_only=False)
        picked = pc.fill_null(rows, 0).to_numpy(zero_copy_only=False)[present]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(np.where(present, width, 0), out=offsets[1:])
    else:
        picked = rows.to_numpy(zero_copy_only=False)
        offsets = np.arange(len(rows) + 1, dtype=np.int64) * width
    data = matrix[picked].reshape(-1)
    large = offsets[-1] >= 2**31
    return pa.Array.from_buffers(
        pa.large_string() if large else pa.string(),
        len(rows),
        [
            validity,
            pa.py_buffer(offsets.astype(np.int64 if large else np.int32)),
            pa.py_buffer(data),
        ],
        null_count=rows.null_count,
    )


def is_ascii(values: StringArray) -> bool:
    """Whether every byte of every slot is ASCII (so characters and bytes coincide)."""
    _, data = string_buffers(values)
    return not data.size or int(data.max()) < 0x80


def ascii_matches(pattern: str) -> np.ndarray:
    """A 256-entry bool table: which ASCII characters the one-character regex `pattern`
    matches, asked of Arrow's own regex engine, so byte-level code driven by the table
    agrees with the regex by construction. Bytes >= 0x80 are False."""
    characters = pa.array([chr(code) for code in range(0x80)], pa.string())
    matches = pc.match_substring_regex(characters, f"^(?:{pattern})$")
    table = np.zeros(256, dtype=bool)
    table[:0x80] = matches.to_numpy(zero_copy_only=False)
    return table


def remove_bytes(values: StringArray, table: np.ndarray) -> StringArray:
    """`values` without the bytes `b` for which `table[b]` is true. Only ASCII bytes may
    be removed (removing part of a multi-byte character would break the UTF-8)."""
    offsets, data = string_buffers(values)
    drop = table[data]
    if not drop.any():
        return values
    before: np.ndarray = np.zeros(data.size + 1, dtype=_counter(data.size))
    np.cumsum(drop, out=before[1:])
    return from_buffers(values, offsets - before[offsets], data[~drop])


def fixed_width_match(values: StringArray, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose value is, character by character, one of `classes[0]`, then one of
    `classes[1]` ... and nothing more (classes of ASCII characters), with those rows' bytes
    as a (rows, len(classes)) uint8 matrix. Nulls never match.

    The byte-level equivalent of a fixed-width regex such as `^[0-9]{17}[0-9X]$` (classes
    `["0123456789"] * 17 + ["0123456789X"]`): a value matches only if it is exactly that
    many bytes, each in its position's class. One table lookup over the candidate bytes
    replaces a regex pass over the column.
    """
    width = len(classes)
    offsets, data = string_buffers(values)
    candidates = np.diff(offsets) == width
    if values.null_count:
        candidates &= values.is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(candidates)
    if rows.size == len(values):
        codes = data.reshape(-1, width)
    else:
        # Arrow's take copies the candidates' bytes next to each other: a matrix again.
        codes = string_buffers(values.take(pa.array(rows)))[1].reshape(-1, width)
    shaped = np.ones(len(rows), dtype=bool)
    for position, characters in enumerate(classes):
        shaped &= _in_class(codes[:, position], characters)
    return rows[shaped], codes[shaped]


def _in_class(column: np.ndarray, characters: str) -> np.ndarray:
    """Whether each byte of `column` is one of the ASCII `characters`: a range check when
    they are consecutive (digits), which numpy vectorizes best, else a table lookup."""
    codes = sorted(characters.encode("ascii"))
    low, high = codes[0], codes[-1]
    if high - low + 1 == len(set(codes)):
        # uint8 arithmetic wraps, so bytes below `low` become large and fail the test.
        return (column - np.uint8(low)) <= np.uint8(high - low)
    table = np.zeros(256, dtype=bool)
    table[codes] = True
    return np.take(table, column)


def _hidden_spans(
    starts: np.ndarray, ends: np.ndarray, keep_first: int, keep_last: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per slot `[starts, ends)` (in bytes or code points), the span to hide: everything
    but the kept ends, or the whole slot when it is no longer than the kept ends."""
    short = ends - starts <= keep_first + keep_last
    return np.where(short, starts, starts + keep_first), np.where(short, ends, ends - keep_last)


def _inside(first: np.ndarray, last: np.ndarray, size: int) -> np.ndarray:
    """A bool per byte of `size`: inside one of the spans `[first, last)`.

    The spans are in order and never overlap, so the buffer is a run of alternating
    outside/inside segments whose lengths are the gaps between consecutive bounds: one
    `np.repeat` writes it (empty spans are zero-length runs).
    """
    bounds = np.empty(2 * len(first) + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, size
    bounds[1:-1:2], bounds[2:-1:2] = first, last
    inside = np.zeros(2 * len(first) + 1, dtype=bool)
    inside[1::2] = True
    return np.repeat(inside, np.diff(bounds))


def mask_characters(
    values: StringArray, *, keep_first: int, keep_last: int, mask_byte: int
) -> StringArray:
    """Keep the first `keep_first` and last `keep_last` characters (code points) of each
    slot and replace every other character by the single ASCII byte `mask_byte`; a slot
    no longer than `keep_first + keep_last` is masked whole. Nulls stay null.
    """
    offsets, data = string_buffers(values)
    mask = np.uint8(mask_byte)
    lengths = np.diff(offsets)
    if not data.size or int(data.max()) < 0x80:
        # ASCII: one byte per character, so every slot keeps its offsets.
        if lengths.size and (lengths == lengths[0]).all():
            # Equal lengths (ID numbers, phone numbers): a matrix whose columns to hide
            # are the same for every row.
            width = int(lengths[0])
            first, last = _hidden_spans(np.array(0), np.array(width), keep_first, keep_last)
            masked = data.reshape(len(lengths), width).copy()
            masked[:, int(first) : int(last)] = mask
            return from_buffers(values, offsets, masked.reshape(-1))
        hidden = _inside(
            *_hidden_spans(offsets[:-1], offsets[1:], keep_first, keep_last), data.size
        )
        return from_buffers(values, offsets, np.where(hidden, mask, data))
    lead = (data & _CONTINUATION_MASK) != _CONTINUATION
    # Code point k of the buffer starts at byte starts[k]; slot i starts at code point
    # points[i] (the number of character starts before its first byte).
    starts = np.append(np.flatnonzero(lead), data.size)
    before: np.ndarray = np.zeros(data.size + 1, dtype=_counter(data.size))
    np.cumsum(lead, out=before[1:])
    points = before[offsets]
    first, last = _hidden_spans(points[:-1], points[1:], keep_first, keep_last)
    hidden = _inside(starts[first], starts[last], data.size)
    # A hidden character keeps its first byte (now the mask) and loses the rest.
    masked = np.where(hidden, mask, data)[~(hidden & ~lead)]
    dropped = (starts[last] - starts[first]) - (last - first)
    new_offsets = np.zeros_like(offsets)
    np.cumsum(lengths - dropped, out=new_offsets[1:])
    return from_buffers(values, new_offsets, masked)

"""Keyed random words addressed by (stream, row): AES-256 in counter mode, read at any offset.

The row-keyed operators (noise, date shifts) need, for every cell, random bits that are
- the same every time the cell is released (so re-reading cannot average them away),
- computable for any page without generating the rows before it (a page at offset 10^6
  costs what a page at 0 costs), and
- unpredictable from each other: knowing the true value of some cells (a buyer's own
  record) must not reveal the draws of other cells.

AES-CTR gives all three: the counter block of (stream, row) is `stream << 64 | row`, so one
`encryptor.update` call produces a whole page of a stream as one buffer (OpenSSL, vectorized,
no Python call per cell), and the keystream is a pseudorandom function of the key. A
non-cryptographic generator would fail the third point: SplitMix64, which an earlier version
used, is invertible, so one cell whose noise a buyer could compute exposed the generator's
state and with it every other cell's noise in the column.
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_ROW_BITS = 64
_MAX_ROW = 2**_ROW_BITS
_MAX_STREAM = 2**64
WORD_BITS = 64
_BITS = 52


def keyed_words(key: bytes, stream: int, first_row: int, count: int) -> np.ndarray:
    """Two pseudorandom 64-bit words per row, for rows `first_row` .. `first_row + count`.

    Returns a `(count, 2)` uint64 array. Deterministic for (key, stream, row) and independent
    of `count` and `first_row` otherwise: a row gets the same words in any page. `key` must be
    32 bytes (AES-256); streams separate independent draws under one key (noise levels).
    """
    if len(key) != 32:
        raise ValueError("a keystream key must be 32 bytes")
    if not 0 <= stream < _MAX_STREAM:
        raise ValueError("stream out of range")
    if first_row < 0 or first_row + count > _MAX_ROW:
        raise ValueError("row positions out of range")
    if count == 0:
        return np.empty((0, 2), dtype=np.uint64)
    counter = (stream << _ROW_BITS) | first_row
    encryptor = Cipher(algorithms.AES(key), modes.CTR(counter.to_bytes(16, "big"))).encryptor()
    stream_bytes = encryptor.update(bytes(16 * count)) + encryptor.finalize()
    return np.frombuffer(stream_bytes, dtype="<u8").reshape(count, 2)


def keyed_words_of_streams(
    key: bytes, first_stream: int, streams: int, first_row: int, count: int
) -> np.ndarray:
    """`keyed_words` of `streams` consecutive streams at once: a `(streams, count, 2)` array
    whose `[i]` equals `keyed_words(key, first_stream + i, first_row, count)` word for word.

    CTR mode's keystream block for a counter is AES of that counter block, so encrypting the
    counter blocks themselves in ECB mode gives the same bytes; building every stream's blocks
    with numpy makes the whole batch one OpenSSL call instead of one cipher per stream (the
    noise ladder reads about 125 streams for a page of a few rows).
    """
    if len(key) != 32:
        raise ValueError("a keystream key must be 32 bytes")
    if streams < 0 or not 0 <= first_stream <= first_stream + streams <= _MAX_STREAM:
        raise ValueError("stream out of range")
    if first_row < 0 or first_row + count > _MAX_ROW:
        raise ValueError("row positions out of range")
    if count == 0 or streams == 0:
        return np.empty((streams, count, 2), dtype=np.uint64)
    blocks = np.empty((streams, count, 2), dtype=">u8")
    blocks[:, :, 0] = np.arange(first_stream, first_stream + streams, dtype=np.uint64)[:, None]
    blocks[:, :, 1] = np.arange(first_row, first_row + count, dtype=np.uint64)[None, :]
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 (see above)
    stream_bytes = encryptor.update(blocks.tobytes()) + encryptor.finalize()
    return np.frombuffer(stream_bytes, dtype="<u8").reshape(streams, count, 2)


def open_uniforms(words: np.ndarray) -> np.ndarray:
    """Uniforms in the open interval (0, 1) from 64-bit words: the top 52 bits, shifted off
    zero by half a step so that logarithms of u and 1 - u stay finite. (With 53 bits the
    largest word would give (2^53 - 0.5) / 2^53, which rounds to exactly 1.0 in float64 and
    an infinite Laplace draw.)"""
    return ((words >> np.uint64(WORD_BITS - _BITS)).astype(np.float64) + 0.5) / 2.0**_BITS

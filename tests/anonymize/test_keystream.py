"""Keyed words by (stream, row): AES-256-CTR read at any offset."""

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from anonymize._keystream import keyed_words, keyed_words_of_streams, open_uniforms

KEY = bytes(range(32))


def test_words_are_the_aes_of_the_stream_and_row_counter_block() -> None:
    """The addressing is exactly AES_k(stream << 64 | row): a reference block by block."""
    words = keyed_words(KEY, 3, 5, 2)
    for index, row in enumerate((5, 6)):
        block = ((3 << 64) | row).to_bytes(16, "big")
        encryptor = Cipher(algorithms.AES(KEY), modes.ECB()).encryptor()
        expected = np.frombuffer(encryptor.update(block), dtype="<u8")
        assert np.array_equal(words[index], expected)


def test_a_row_gets_the_same_words_in_any_page() -> None:
    whole = keyed_words(KEY, 0, 0, 1_000)
    assert np.array_equal(keyed_words(KEY, 0, 777, 10), whole[777:787])


def test_streams_and_keys_are_independent_draws() -> None:
    base = keyed_words(KEY, 0, 0, 100)
    assert not np.array_equal(base, keyed_words(KEY, 1, 0, 100))
    assert not np.array_equal(base, keyed_words(b"z" * 32, 0, 0, 100))


def test_an_empty_page_and_bad_arguments() -> None:
    assert keyed_words(KEY, 0, 10, 0).shape == (0, 2)
    with pytest.raises(ValueError, match="32 bytes"):
        keyed_words(b"short", 0, 0, 1)
    with pytest.raises(ValueError, match="row"):
        keyed_words(KEY, 0, -1, 1)


def test_uniforms_are_strictly_inside_the_unit_interval() -> None:
    extremes = np.array([0, 2**64 - 1], dtype=np.uint64)
    u = open_uniforms(extremes)
    assert 0.0 < u[0] < 1e-15
    assert 1.0 - 1e-15 < u[1] < 1.0
    spread = open_uniforms(keyed_words(KEY, 0, 0, 50_000)[:, 0])
    assert abs(float(np.mean(spread)) - 0.5) < 0.01


@pytest.mark.parametrize(
    ("first_stream", "streams", "first_row", "count"),
    [(0, 1, 0, 5), (3, 7, 1_000, 33), (0, 125, 123_456_789, 100), (2**64 - 3, 3, 2**64 - 9, 9)],
)
def test_streams_at_once_are_word_for_word_the_streams_one_by_one(
    first_stream: int, streams: int, first_row: int, count: int
) -> None:
    """The batched form (ECB over the counter blocks) is the same keystream as CTR mode, so
    every noise draw and date shift stays what it was."""
    batch = keyed_words_of_streams(KEY, first_stream, streams, first_row, count)
    assert batch.shape == (streams, count, 2)
    for i in range(streams):
        assert np.array_equal(batch[i], keyed_words(KEY, first_stream + i, first_row, count))


def test_streams_at_once_refuse_what_one_stream_refuses() -> None:
    assert keyed_words_of_streams(KEY, 0, 4, 10, 0).shape == (4, 0, 2)
    with pytest.raises(ValueError, match="32 bytes"):
        keyed_words_of_streams(b"short", 0, 1, 0, 1)
    with pytest.raises(ValueError, match="stream out of range"):
        keyed_words_of_streams(KEY, 2**64 - 1, 2, 0, 1)
    with pytest.raises(ValueError, match="row positions"):
        keyed_words_of_streams(KEY, 0, 1, 2**64 - 1, 2)

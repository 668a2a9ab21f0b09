"""The batched HMAC gives the bytes of Python's `hmac` module, for any key and message."""

import hashlib
import hmac

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize._hmac import hex_digests, hmac_sha256_hex
from anonymize.operators import pseudonymize

# Keys around the 64-byte block size: shorter ones are padded, longer ones hashed first.
keys = st.one_of(
    st.binary(min_size=16, max_size=64),
    st.binary(min_size=65, max_size=200),
    st.sampled_from([b"k" * 64, b"k" * 65, bytes(range(256))]),
)


def _reference(key: bytes, value: str | None, length: int) -> str | None:
    if value is None:
        return None
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


@settings(max_examples=200)
@given(keys, st.lists(st.binary(max_size=200), max_size=20), st.integers(1, 64))
def test_hmac_sha256_hex_equals_the_hmac_module(
    key: bytes, messages: list[bytes], length: int
) -> None:
    tokens = [bytes(row).decode() for row in hmac_sha256_hex(key, messages, length=length)]
    assert tokens == [hmac.new(key, m, hashlib.sha256).hexdigest()[:length] for m in messages]


@settings(max_examples=200)
@given(
    keys,
    st.lists(st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["", "张三", "é"]))),
    st.integers(8, 64),
)
def test_pseudonymize_equals_the_hmac_module(
    key: bytes, values: list[str | None], length: int
) -> None:
    """Non-ASCII, empty strings, nulls and repeated values, under short and long keys."""
    for array in (pa.array(values, pa.string()), pa.array(values * 2, pa.large_string())):
        tokens = pseudonymize(array, key, length=length).to_pylist()
        assert tokens == [_reference(key, v, length) for v in array.to_pylist()]


def test_pseudonymize_of_a_column_without_values() -> None:
    key = b"k" * 32
    assert pseudonymize(pa.array([], pa.string()), key).to_pylist() == []
    assert pseudonymize(pa.array([None, None], pa.string()), key).to_pylist() == [None, None]


def test_hex_digests_refuses_lengths_a_digest_cannot_give() -> None:
    with pytest.raises(ValueError, match="between 1 and 64"):
        hex_digests(bytes(32), 65)

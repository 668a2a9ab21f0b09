"""Text helpers: their fast paths give the same strings as the Arrow functions they skip."""

from unittest.mock import patch

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize import _text
from anonymize._text import encode_distinct, nfkc, remove_matches, upper
from anonymize.validators import LANDLINE_SEPARATORS, MOBILE_SEPARATORS, PLATE_SEPARATORS

ascii_text = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=20)
any_text = st.one_of(ascii_text, st.text(max_size=20))
columns = st.lists(st.one_of(st.none(), ascii_text), max_size=20) | st.lists(
    st.one_of(st.none(), any_text), max_size=20
)


def _chunked(values: list[str | None]) -> pa.ChunkedArray:
    half = len(values) // 2
    return pa.chunked_array([values[:half], values[half:]], pa.large_string())


@settings(max_examples=200)
@given(columns, st.sampled_from([MOBILE_SEPARATORS, LANDLINE_SEPARATORS, PLATE_SEPARATORS]))
def test_remove_matches_equals_the_regex(values: list[str | None], pattern: str) -> None:
    """Every ASCII character, including all the controls, goes through both paths."""
    for text in (pa.array(values, pa.string()), _chunked(values)):
        expected = pc.replace_substring_regex(text, pattern, "")
        assert remove_matches(text, pattern).to_pylist() == expected.to_pylist()


def test_remove_matches_on_every_ascii_character() -> None:
    every = pa.array(["".join(map(chr, range(0x80)))])
    for pattern in (MOBILE_SEPARATORS, LANDLINE_SEPARATORS, PLATE_SEPARATORS):
        expected = pc.replace_substring_regex(every, pattern, "")
        assert remove_matches(every, pattern).to_pylist() == expected.to_pylist()


@settings(max_examples=200)
@given(columns)
def test_nfkc_and_upper_equal_the_unicode_functions(values: list[str | None]) -> None:
    for text in (pa.array(values, pa.string()), _chunked(values)):
        assert nfkc(text).to_pylist() == pc.utf8_normalize(text, "NFKC").to_pylist()
        assert upper(text).to_pylist() == pc.utf8_upper(text).to_pylist()


@settings(max_examples=200)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "", "张"]), any_text)))
def test_encode_distinct_round_trips(values: list[str | None]) -> None:
    """Both ways of encoding (a page's rows dictionary-encoded, longer columns grouped by
    hash) give every row its own value back."""
    text = pa.array(values, pa.large_string())
    for small_rows in (0, 4096):
        with patch.object(_text, "_DICTIONARY_ROWS", small_rows):
            distinct, indices = encode_distinct(text)
        assert distinct.take(indices).to_pylist() == values
        assert sorted(distinct.to_pylist()) == sorted({v for v in values if v is not None})


def test_encode_distinct_survives_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every value hashing alike must not merge different values: the exact check falls
    back to dictionary encoding."""
    monkeypatch.setattr(pl.Series, "hash", lambda self, *a, **k: pl.Series([7] * len(self)))
    monkeypatch.setattr(_text, "_DICTIONARY_ROWS", 0)  # the hash path, even for five rows
    values = ["a", "b", None, "a", "c"]
    distinct, indices = encode_distinct(pa.array(values, pa.large_string()))
    assert distinct.take(indices).to_pylist() == values
    assert sorted(distinct.to_pylist()) == ["a", "b", "c"]

"""The byte-level kernels give exactly what the Arrow string functions and regexes they
replace give, on arbitrary text."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize._buffers import fixed_width_match, fixed_width_strings, mask_characters
from anonymize.checksums import USCC_ALPHABET, USCC_AUTHORITIES
from anonymize.masking import _mask_partial_arrow

# Text that stresses UTF-8 handling: 1- to 4-byte characters, combining marks, whitespace.
_MIXED = "aZ09 -\t\x00é张欧阳１Ｘ😀\u0301\u3000"
texts = st.lists(st.one_of(st.none(), st.text(alphabet=_MIXED, max_size=25), st.text(max_size=8)))


def _arrays(values: list[str | None]) -> list[pa.Array]:
    """The values as string and large_string arrays, plus a slice of a longer array (the
    kernels must respect the array offset)."""
    padded = pa.array(["前缀", *values, "后缀"], pa.string()).slice(1, len(values))
    return [pa.array(values, pa.string()), pa.array(values, pa.large_string()), padded]


@settings(max_examples=200)
@given(texts, st.integers(0, 6), st.integers(0, 6), st.sampled_from("*#x"))
def test_mask_characters_equals_the_arrow_functions(
    values: list[str | None], keep_first: int, keep_last: int, mask_char: str
) -> None:
    for array in _arrays(values):
        masked = mask_characters(
            array, keep_first=keep_first, keep_last=keep_last, mask_byte=ord(mask_char)
        )
        expected = _mask_partial_arrow(
            array, keep_first=keep_first, keep_last=keep_last, mask_char=mask_char
        )
        assert masked.type == array.type
        assert masked.to_pylist() == expected.to_pylist()


def _mask(values: list[str | None], keep_first: int, keep_last: int) -> list[str | None]:
    return mask_characters(
        pa.array(values), keep_first=keep_first, keep_last=keep_last, mask_byte=ord("*")
    ).to_pylist()


def test_mask_characters_on_equal_widths() -> None:
    ids = ["110105199001011234", "110105199001015678"]
    assert _mask(ids, 6, 4) == ["110105********1234", "110105********5678"]


def test_mask_characters_on_mixed_widths_with_nulls() -> None:
    cards = ["6222021234567890", None, "62220212345678901", "12345"]
    assert _mask(cards, 6, 4) == ["622202******7890", None, "622202*******8901", "*****"]


def test_mask_characters_on_multibyte_text() -> None:
    assert _mask(["张三丰", "欧阳娜娜", "", "李"], 1, 0) == ["张**", "欧***", "", "*"]


_DIGITS = "0123456789"
_SHAPES = [
    ([_DIGITS] * 17 + [_DIGITS + "X"], r"^[0-9]{17}[0-9X]$", _DIGITS + "Xx -"),
    ([_DIGITS] * 15, r"^[0-9]{15}$", _DIGITS + "a"),
    (
        [USCC_AUTHORITIES, USCC_ALPHABET] + [_DIGITS] * 6 + [USCC_ALPHABET] * 10,
        rf"^[{USCC_AUTHORITIES}][{USCC_ALPHABET}][0-9]{{6}}[{USCC_ALPHABET}]{{10}}$",
        USCC_ALPHABET + "IOSZ",
    ),
]


@settings(max_examples=150)
@given(st.data())
def test_fixed_width_match_equals_its_regex(data: st.DataObject) -> None:
    classes, pattern, alphabet = data.draw(st.sampled_from(_SHAPES))
    width = len(classes)
    value = st.text(alphabet=alphabet + "１张", min_size=width - 1, max_size=width + 1)
    values = data.draw(st.lists(st.one_of(st.none(), value, st.text(max_size=3))))
    for array in _arrays(values):
        rows, codes = fixed_width_match(array, classes)
        expected = pc.fill_null(pc.match_substring_regex(array, pattern), False).to_pylist()
        assert [i in set(rows.tolist()) for i in range(len(values))] == expected
        assert [bytes(row).decode() for row in codes] == [values[i] for i in rows]


def test_fixed_width_strings_pick_rows_and_leave_null_slots_empty() -> None:
    matrix = np.frombuffer(b"aaaabbbbcccc", dtype=np.uint8).reshape(3, 4)
    column = fixed_width_strings(matrix, pa.array([2, None, 0, 2], pa.int32()))
    assert column.to_pylist() == ["cccc", None, "aaaa", "cccc"]
    assert column.buffers()[2].size == 12  # three values, nothing behind the null

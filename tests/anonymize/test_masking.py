import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.masking import mask_mobile, mask_name, mask_partial, normalize_mobile, redact


def test_resident_id_keeps_region_and_last_four() -> None:
    masked = mask_partial(pa.array(["110105199001011234"]), keep_first=6, keep_last=4)
    assert masked.to_pylist() == ["110105********1234"]


def test_mobile_keeps_prefix_and_last_four() -> None:
    masked = mask_partial(pa.array(["13812345678"]), keep_first=3, keep_last=4)
    assert masked.to_pylist() == ["138****5678"]


def test_nulls_stay_null() -> None:
    values = pa.array(["13812345678", None])
    assert mask_partial(values, keep_first=3, keep_last=4).to_pylist() == ["138****5678", None]
    assert mask_name(pa.array([None, "张三"])).to_pylist() == [None, "张*"]
    assert redact(values).to_pylist() == ["***", None]


@pytest.mark.parametrize(
    ("value", "masked"), [("1234567890", "**********"), ("123", "***"), ("", "")]
)
def test_values_no_longer_than_the_kept_ends_are_fully_masked(value: str, masked: str) -> None:
    assert mask_partial(pa.array([value]), keep_first=6, keep_last=4).to_pylist() == [masked]


@settings(max_examples=100)
@given(
    st.lists(st.text(max_size=30), max_size=10),
    st.integers(0, 8),
    st.integers(0, 8),
)
def test_mask_preserves_length_and_hides_the_middle(
    values: list[str], keep_first: int, keep_last: int
) -> None:
    masked = mask_partial(pa.array(values, pa.string()), keep_first=keep_first, keep_last=keep_last)
    for value, out in zip(values, masked.to_pylist(), strict=True):
        assert len(out) == len(value)
        if len(value) <= keep_first + keep_last:
            assert out == "*" * len(value)
        else:
            hidden = len(value) - keep_first - keep_last
            assert out == value[:keep_first] + "*" * hidden + value[len(value) - keep_last :]


def test_chunked_large_string_and_integer_inputs() -> None:
    chunked = pa.chunked_array(
        [pa.array(["13812345678"], pa.large_string()), pa.array([None], pa.large_string())]
    )
    assert mask_partial(chunked, keep_first=3, keep_last=4).to_pylist() == ["138****5678", None]
    integers = pa.array([13812345678], pa.int64())
    assert mask_partial(integers, keep_first=3, keep_last=4).to_pylist() == ["138****5678"]


def test_custom_mask_char() -> None:
    masked = mask_partial(pa.array(["abcdef"]), keep_first=1, keep_last=1, mask_char="#")
    assert masked.to_pylist() == ["a####f"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"keep_first": -1, "keep_last": 0}, ">= 0"),
        ({"keep_first": 1, "keep_last": 1, "mask_char": "**"}, "one character"),
        ({"keep_first": 1, "keep_last": 1, "mask_char": ""}, "one character"),
    ],
)
def test_mask_partial_rejects_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mask_partial(pa.array(["x"]), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("王小明", "王**"), (" 李四 ", "李*"), ("张", "*")],
)
def test_mask_name_keeps_the_first_character(name: str, masked: str) -> None:
    assert mask_name(pa.array([name])).to_pylist() == [masked]


def test_redact_hides_length() -> None:
    values = pa.array(["a", "abcdefgh", None])
    assert redact(values, replacement="[removed]").to_pylist() == ["[removed]", "[removed]", None]


@pytest.mark.parametrize(
    "written", ["13812345678", "+8613812345678", "+86 138 1234 5678", "0086-138-1234-5678"]
)
def test_every_written_form_of_a_mobile_masks_the_same(written: str) -> None:
    assert mask_mobile(pa.array([written])).to_pylist() == ["138****5678"]


def test_normalize_mobile_leaves_other_numbers_but_their_separators() -> None:
    values = pa.array(["010-6512 3456", "+1 202 555 0123", None])
    assert normalize_mobile(values).to_pylist() == ["01065123456", "+12025550123", None]


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.from_regex(r"(\+|00)?(86)?[ -]?1[3-9][0-9 -]{9,12}", fullmatch=True),
            st.text(alphabet="0123456789+- １８６\u3000", max_size=18),
        )
    )
)
def test_normalize_mobile_equals_normalizing_every_value(values: list[str | None]) -> None:
    """The shortcuts (ASCII skips NFKC, no separators skips their regex, short values skip
    the country-code regex) give what the full sequence of Arrow functions gives."""
    text = pa.array(values, pa.string())
    compact = pc.replace_substring_regex(pc.utf8_normalize(text, "NFKC"), r"[\s\-]", "")
    expected = pc.replace_substring_regex(compact, r"^(?:\+|00)?86(1[3-9][0-9]{9})$", r"\1")
    assert normalize_mobile(text).to_pylist() == expected.to_pylist()

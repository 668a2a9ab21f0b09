"""One encoding per file: UTF-8 or GB18030 as a whole, never a mix, never a guess."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ground.errors import InvalidFile, UnsupportedFile
from listings.encodings import decode, first_utf8_text_line, line_number

UTF8_LINE = "张伟,110105199001011237\n".encode()
GBK_LINE = "李娜,110105199202022345\n".encode("gbk")
ASCII_LINE = b"id,amount\n"


def test_utf8_with_and_without_bom_and_gb18030_are_read() -> None:
    assert decode(ASCII_LINE + UTF8_LINE) == ("id,amount\n张伟,110105199001011237\n", "utf-8")
    assert decode(b"\xef\xbb\xbf" + ASCII_LINE)[1] == "utf-8"
    assert decode(ASCII_LINE + GBK_LINE) == ("id,amount\n李娜,110105199202022345\n", "gb18030")


@pytest.mark.parametrize(
    ("raw", "bad", "good"),
    [
        (ASCII_LINE + UTF8_LINE + GBK_LINE, 3, 2),  # mostly UTF-8, one GBK line
        (ASCII_LINE + GBK_LINE + GBK_LINE + UTF8_LINE, 2, 4),  # mostly GBK, one UTF-8 line
        (b"\xef\xbb\xbf" + ASCII_LINE + GBK_LINE, 2, 1),  # a UTF-8 BOM over GBK text
    ],
)
def test_a_mixed_file_is_refused_naming_both_lines(raw: bytes, bad: int, good: int) -> None:
    with pytest.raises(InvalidFile) as refused:
        decode(raw)
    assert f"line {bad} is not UTF-8" in refused.value.detail
    assert f"line {good} is UTF-8" in refused.value.detail
    assert f"第 {bad} 行" in refused.value.detail_zh


def test_a_file_in_neither_encoding_names_its_first_bad_line() -> None:
    raw = ASCII_LINE + b"ok,1\n" + "José,2\n".encode("latin-1")
    with pytest.raises(InvalidFile) as refused:
        decode(raw)
    assert "line 3 is neither UTF-8 nor GB18030" in refused.value.detail
    assert "第 3 行" in refused.value.detail_zh


def test_nul_bytes_mean_binary_or_utf16() -> None:
    with pytest.raises(UnsupportedFile):
        decode("a,b\n".encode("utf-16"))


def test_line_numbers_count_physical_lines() -> None:
    raw = b"a\nb\nc"
    assert [line_number(raw, i) for i in (0, 2, 4)] == [1, 2, 3]
    assert first_utf8_text_line(ASCII_LINE + GBK_LINE) is None
    assert first_utf8_text_line(ASCII_LINE + GBK_LINE + UTF8_LINE) == 3


@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\x00")), max_size=5))
def test_any_utf8_text_is_read_back_unchanged(lines: list[str]) -> None:
    text = "\n".join(lines)
    raw = text.encode()
    if raw:
        assert decode(raw) == (text.removeprefix("\ufeff"), "utf-8")

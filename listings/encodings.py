"""Decoding an uploaded text file: one encoding for the whole file, or a refusal.

Supported: UTF-8 (with or without a byte-order mark) and GB18030, the superset of GBK and
GB2312 that government systems export. The rule, in order:

1. the whole file is valid UTF-8: it is UTF-8;
2. otherwise, if any line is valid UTF-8 and not plain ASCII (a BOM counts), the file mixes
   encodings and is refused, naming the first line that is not UTF-8 and the first UTF-8
   line. "Decodes as GB18030" is not enough: GB18030 accepts most UTF-8 byte sequences and
   turns them into mojibake, which no detector recognises (a UTF-8 name read as GB18030 is
   no longer a name, and would be served unmasked);
3. otherwise the whole file must be valid GB18030, or it is refused naming the first line
   that is not.

Line numbers count physical lines (``\\n``), from 1. A GB18030 file one of whose lines happens
to be valid UTF-8 as well is refused as mixed; the message says to save the file as UTF-8,
which always works. Nothing is guessed, so no text is ever silently corrupted.
"""

from __future__ import annotations

from market.errors import InvalidFile, UnsupportedFile

UTF8 = "utf-8"
GB18030 = "gb18030"
_BOM = b"\xef\xbb\xbf"


def decode(raw: bytes) -> tuple[str, str]:
    """The file's text and its encoding (``utf-8`` or ``gb18030``); refuses anything else."""
    if b"\x00" in raw:
        raise UnsupportedFile(
            "The file contains NUL bytes: it is binary or UTF-16, not UTF-8/GBK CSV text.",
            "文件包含空字节：它是二进制或 UTF-16 文件，不是 UTF-8/GBK 编码的 CSV 文本。",
        )
    body = raw.removeprefix(_BOM)
    try:
        return body.decode(UTF8), UTF8
    except UnicodeDecodeError as exc:
        not_utf8 = line_number(raw, exc.start + len(raw) - len(body))
    utf8_line = first_utf8_text_line(raw)
    if utf8_line is not None:
        raise InvalidFile(
            f"The file mixes text encodings: line {not_utf8} is not UTF-8, while line "
            f"{utf8_line} is UTF-8 text. Save the whole file in one encoding (UTF-8 is "
            "best) and upload it again.",
            f"文件混用了多种文本编码：第 {not_utf8} 行不是 UTF-8 编码，而第 {utf8_line} 行是 "
            "UTF-8 编码的文本。请将整个文件以同一种编码（建议 UTF-8）另存后重新上传。",
        )
    try:
        return raw.decode(GB18030), GB18030
    except UnicodeDecodeError as exc:
        bad = line_number(raw, exc.start)
    raise InvalidFile(
        f"The file's text encoding is not supported: line {bad} is neither UTF-8 nor "
        "GB18030/GBK text. Save the file as UTF-8 (or GB18030/GBK) and upload it again.",
        f"文件的文本编码不受支持：第 {bad} 行既不是 UTF-8 也不是 GB18030/GBK 编码的文本，"
        "请将文件另存为 UTF-8（或 GB18030/GBK）编码后重新上传。",
    )


def line_number(raw: bytes, offset: int) -> int:
    """The 1-based physical line that byte ``offset`` is on."""
    return raw.count(b"\n", 0, offset) + 1


def first_utf8_text_line(raw: bytes) -> int | None:
    """The first line that is valid UTF-8 and not plain ASCII (a BOM counts), or None.

    Neither UTF-8 nor GB18030 uses the byte ``\\n`` inside a character, so splitting the
    bytes on it never cuts a character in two.
    """
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        if line.startswith(_BOM):
            return number
        try:
            line.decode(UTF8)
        except UnicodeDecodeError:
            continue
        return number
    return None

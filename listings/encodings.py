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

import codecs
from collections.abc import Iterator
from pathlib import Path

from ground.errors import InvalidFile, UnsupportedFile

UTF8 = "utf-8"
GB18030 = "gb18030"
_BOM = b"\xef\xbb\xbf"
_CHUNK = 1024 * 1024


def decode(raw: bytes) -> tuple[str, str]:
    """The file's text and its encoding (``utf-8`` or ``gb18030``); refuses anything else."""
    if b"\x00" in raw:
        raise _nul_bytes()
    body = raw.removeprefix(_BOM)
    try:
        return body.decode(UTF8), UTF8
    except UnicodeDecodeError as exc:
        not_utf8 = line_number(raw, exc.start + len(raw) - len(body))
    utf8_line = first_utf8_text_line(raw)
    if utf8_line is not None:
        raise _mixed(not_utf8, utf8_line)
    try:
        return raw.decode(GB18030), GB18030
    except UnicodeDecodeError as exc:
        bad = line_number(raw, exc.start)
    raise _unsupported(bad)


def detect_file(path: Path, *, limit: int | None = None) -> str:
    """The encoding of the file at ``path`` (``utf-8`` or ``gb18030``) by the rule above,
    reading it in chunks, so memory stays bounded whatever the file's size.

    With ``limit``, only the first ``limit`` bytes are judged (cut after their last line
    break, so no character is cut): the upload's early check; the ingest judges the whole file.
    """
    not_utf8 = _first_undecodable(path, UTF8, limit)
    if not_utf8 is None:
        return UTF8
    utf8_line = _first_utf8_text_line_in(path, limit)
    if utf8_line is not None:
        raise _mixed(_line_of_offset(path, not_utf8), utf8_line)
    bad = _first_undecodable(path, GB18030, limit)
    if bad is None:
        return GB18030
    raise _unsupported(_line_of_offset(path, bad))


def _chunks(path: Path, limit: int | None) -> Iterator[bytes]:
    """The file's bytes in chunks; with ``limit``, up to the last line break within it."""
    with path.open("rb") as fh:
        read = 0
        while chunk := fh.read(_CHUNK if limit is None else min(_CHUNK, limit - read)):
            read += len(chunk)
            if limit is not None and read >= limit and fh.read(1):
                yield chunk[: chunk.rfind(b"\n") + 1]
                return
            yield chunk


def _first_undecodable(path: Path, encoding: str, limit: int | None) -> int | None:
    """The byte offset of the first byte that is not ``encoding`` (None: the whole text is);
    refuses NUL bytes on the way. A UTF-8 byte-order mark at the start is not text."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    for index, chunk in enumerate(_chunks(path, limit)):
        if b"\x00" in chunk:
            raise _nul_bytes()
        if index == 0 and encoding == UTF8 and chunk.startswith(_BOM):
            chunk, offset = chunk[len(_BOM) :], len(_BOM)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
        offset += len(chunk)
    if limit is not None:
        return None  # a character cut at the limit is judged by the whole-file check
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return offset - len(decoder.getstate()[0]) + exc.start
    return None


def _line_of_offset(path: Path, offset: int) -> int:
    lines = 1
    with path.open("rb") as fh:
        while offset > 0 and (chunk := fh.read(min(_CHUNK, offset))):
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines


def _first_utf8_text_line_in(path: Path, limit: int | None) -> int | None:
    """``first_utf8_text_line`` over the file, a bounded piece of a line at a time (a line
    longer than the piece is judged piece by piece)."""
    number, read = 1, 0
    with path.open("rb") as fh:
        while line := fh.readline(_CHUNK):
            read += len(line)
            if limit is not None and read > limit:
                return None
            if first_utf8_text_line(line) is not None:
                return number
            number += line.endswith(b"\n")
    return None


def _nul_bytes() -> UnsupportedFile:
    return UnsupportedFile(
        "The file contains NUL bytes: it is binary or UTF-16, not UTF-8/GBK CSV text.",
        "文件包含空字节：它是二进制或 UTF-16 文件，不是 UTF-8/GBK 编码的 CSV 文本。",
    )


def _mixed(not_utf8: int, utf8_line: int) -> InvalidFile:
    return InvalidFile(
        f"The file mixes text encodings: line {not_utf8} is not UTF-8, while line "
        f"{utf8_line} is UTF-8 text. Save the whole file in one encoding (UTF-8 is "
        "best) and upload it again.",
        f"文件混用了多种文本编码：第 {not_utf8} 行不是 UTF-8 编码，而第 {utf8_line} 行是 "
        "UTF-8 编码的文本。请将整个文件以同一种编码（建议 UTF-8）另存后重新上传。",
    )


def _unsupported(bad: int) -> InvalidFile:
    return InvalidFile(
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

"""Parse a multipart form as it arrives, the file straight into a staging file, within bounds.

Starlette's form parser spools every file part to a temporary file of its own and keeps every
text field in memory, bounded only by its defaults (1,000 fields of 1 MB each). This parser
reads the body chunk by chunk (python-multipart's streaming parser) and enforces, while it
reads, the bounds ``FormLimits`` gives:

- the file: at most ``max_file_bytes``; the chunk that would pass the limit is refused before
  any of it is written, so the staging file never holds a byte past the limit;
- the number of files and of text fields, and each text field's size (python-multipart bounds
  each part's headers: 8 of at most 4,224 bytes);
- the whole body: at most ``max_body_bytes``; reading stops at the first chunk past it, and
  nothing after the form's closing boundary is read (an endless epilogue costs nothing).

``before_file`` runs on the text fields received so far when the first file part starts, before
a byte of it is written (the console checks its CSRF field there). On any refusal the staging
file is removed before the error leaves ``parse_streamed_form``; on success the caller owns it.
"""

from __future__ import annotations

import codecs
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ground.errors import BadRequest, PayloadTooLarge, SluiceError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks


class UploadTooLarge(PayloadTooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than the limit of {limit:,} bytes.",
            f"文件超过大小上限 {limit:,} 字节。",
        )


class FormTooLarge(PayloadTooLarge):
    """Too many parts, or a text field too long: the form is refused whole."""


class MalformedForm(BadRequest):
    def __init__(self) -> None:
        super().__init__(
            "The body is not a well-formed multipart/form-data form.",
            "请求体不是格式正确的 multipart/form-data 表单。",
        )


class NotMultipart(SluiceError):
    status_code = 415

    def __init__(self) -> None:
        super().__init__(
            "Send the upload as multipart/form-data.", "上传请求须使用 multipart/form-data 格式。"
        )


@dataclass(frozen=True)
class FormLimits:
    max_file_bytes: int
    max_fields: int
    max_field_bytes: int
    max_files: int = 1

    @property
    def max_body_bytes(self) -> int:
        """The largest body a form within the other limits can need: the file, every field at
        its largest, and the boundaries and part headers around each part."""
        parts = self.max_fields + self.max_files
        return self.max_file_bytes + self.max_fields * self.max_field_bytes + parts * _PART_ENVELOPE


# Boundary line and part headers (python-multipart allows 8 headers of 4,224 bytes per part).
_PART_ENVELOPE = 256 + 8 * (4096 + 128)


@dataclass
class StreamedFile:
    field_name: str
    filename: str
    content_type: str
    path: Path
    size: int = 0


@dataclass
class StreamedForm:
    """The text fields in order, and the file parts with their staging files."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[StreamedFile] = field(default_factory=list)

    def remove_files(self) -> None:
        for part in self.files:
            part.path.unlink(missing_ok=True)


def boundary_of(content_type: str) -> tuple[bytes, str]:
    """The multipart boundary and the charset of text fields; ``NotMultipart`` otherwise."""
    media_type, params = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise NotMultipart()
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedForm()
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        return boundary, codecs.lookup(charset).name
    except LookupError:
        return boundary, "utf-8"


async def parse_streamed_form(
    chunks: AsyncIterator[bytes],
    content_type: str,
    *,
    limits: FormLimits,
    staging_dir: Path,
    before_file: Callable[[Mapping[str, str]], None] | None = None,
) -> StreamedForm:
    """Read ``chunks`` (``request.stream()``) as a multipart form within ``limits``."""
    boundary, charset = boundary_of(content_type)
    reader = _FormReader(limits, staging_dir, charset, before_file)
    parser = MultipartParser(boundary, reader.callbacks())
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > limits.max_body_bytes:
                raise FormTooLarge(
                    f"The form is larger than the limit of {limits.max_body_bytes:,} bytes.",
                    f"表单超过大小上限 {limits.max_body_bytes:,} 字节。",
                )
            parser.write(chunk)
            await reader.flush()
            if reader.ended:
                break
        if not reader.ended:
            raise MalformedForm()
        reader.check_fields_before_end()
    except MultipartParseError:
        reader.abort()
        raise MalformedForm() from None
    except BaseException:
        reader.abort()
        raise
    reader.close()
    return reader.form


class _FormReader:
    """python-multipart's callbacks: collects text fields, writes file data to staging."""

    def __init__(
        self,
        limits: FormLimits,
        staging_dir: Path,
        charset: str,
        before_file: Callable[[Mapping[str, str]], None] | None,
    ) -> None:
        self.limits = limits
        self.staging_dir = staging_dir
        self.charset = charset
        self.before_file = before_file
        self.form = StreamedForm()
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._field_name: str | None = None
        self._field_data = bytearray()
        self._file: StreamedFile | None = None
        self._out: BinaryIO | None = None
        self._pending: list[bytes] = []
        self._checked = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_end": self._end,
        }

    # ----- callbacks (called synchronously by parser.write) ----------------------------------

    def _part_begin(self) -> None:
        self._headers = {}
        self._field_name = None
        self._field_data = bytearray()
        self._file = None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise MultipartParseError("a part without a name")
        if b"filename" in options:
            self._start_file(self._text(name), self._text(options[b"filename"]))
        else:
            if len(self.form.fields) >= self.limits.max_fields:
                raise _too_many_fields(self.limits.max_fields)
            self._field_name = self._text(name)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if self._file is not None:
            if self._file.size + len(piece) > self.limits.max_file_bytes:
                raise UploadTooLarge(self.limits.max_file_bytes)
            self._file.size += len(piece)
            self._pending.append(piece)
        elif len(self._field_data) + len(piece) > self.limits.max_field_bytes:
            raise _field_too_long(self.limits.max_field_bytes)
        else:
            self._field_data += piece

    def _part_end(self) -> None:
        if self._file is None and self._field_name is not None:
            self.form.fields.append((self._field_name, self._text(bytes(self._field_data))))
        self._file = None

    def _end(self) -> None:
        self.ended = True

    # ----- files ------------------------------------------------------------------------------

    def _start_file(self, field_name: str, filename: str) -> None:
        if len(self.form.files) >= self.limits.max_files:
            raise FormTooLarge(
                f"The form may carry at most {self.limits.max_files} file(s).",
                f"表单最多只能包含 {self.limits.max_files} 个文件。",
            )
        if not self._checked and self.before_file is not None:
            self.before_file(dict(self.form.fields))
        self._checked = True
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        path = self.staging_dir / f"{uuid.uuid4().hex}.upload"
        content_type = self._text(self._headers.get(b"content-type", b""))
        self._file = StreamedFile(field_name, filename, content_type, path)
        self.form.files.append(self._file)
        if self._out is not None:
            self._out.close()
        self._out = path.open("wb")

    async def flush(self) -> None:
        """Write the file data the last chunk carried (off the event loop)."""
        if self._pending and self._out is not None:
            data, self._pending = b"".join(self._pending), []
            await anyio.to_thread.run_sync(self._out.write, data)

    def check_fields_before_end(self) -> None:
        if not self._checked and self.before_file is not None:
            self.before_file(dict(self.form.fields))

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def abort(self) -> None:
        self.close()
        self.form.remove_files()

    def _text(self, raw: bytes) -> str:
        return raw.decode(self.charset, errors="replace")


def _too_many_fields(limit: int) -> FormTooLarge:
    return FormTooLarge(
        f"The form has more than {limit} fields.", f"表单字段数超过上限 {limit} 个。"
    )


def _field_too_long(limit: int) -> FormTooLarge:
    return FormTooLarge(
        f"A form field is longer than the limit of {limit:,} bytes.",
        f"表单字段超过长度上限 {limit:,} 字节。",
    )

"""The streaming multipart parser: what it returns, and every bound it enforces while reading."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path

import anyio
import anyio.from_thread
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ground.streamed_form import (
    FormLimits,
    FormTooLarge,
    MalformedForm,
    NotMultipart,
    StreamedForm,
    UploadTooLarge,
    parse_streamed_form,
)

BOUNDARY = "sluice-test-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
LIMITS = FormLimits(max_file_bytes=1000, max_fields=4, max_field_bytes=100)


def form_body(
    fields: Iterable[tuple[str, str]], file: bytes | None = None, *, epilogue: bytes = b""
) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode()
        + b"\r\n"
        for name, value in fields
    ]
    if file is not None:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
            + file
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode() + epilogue


def split(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


class Chunks:
    """The body as an async stream that counts what was pulled."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = list(chunks)
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += len(chunk)
            yield chunk


def parse(
    chunks: Chunks,
    staging: Path,
    *,
    limits: FormLimits = LIMITS,
    content_type: str = CONTENT_TYPE,
    before_file: object = None,
) -> StreamedForm:
    async def run() -> StreamedForm:
        return await parse_streamed_form(
            chunks.__aiter__(),
            content_type,
            limits=limits,
            staging_dir=staging,
            before_file=before_file,  # type: ignore[arg-type]
        )

    # In a portal thread's own event loop: immune to loop state another test left behind.
    with anyio.from_thread.start_blocking_portal() as portal:
        return portal.call(run)


def staged(staging: Path) -> list[Path]:
    return list(staging.iterdir()) if staging.exists() else []


@settings(max_examples=60, deadline=None)
@given(
    fields=st.lists(
        st.tuples(st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.text(max_size=30)),
        max_size=4,
    ),
    file=st.binary(max_size=1000),
    chunk=st.integers(min_value=1, max_value=97),
)
def test_any_chunking_gives_back_the_fields_and_the_file(
    tmp_path_factory: pytest.TempPathFactory,
    fields: list[tuple[str, str]],
    file: bytes,
    chunk: int,
) -> None:
    staging = tmp_path_factory.mktemp("staging")
    body = form_body(fields, file)
    form = parse(Chunks(split(body, chunk)), staging)
    assert form.fields == fields
    [part] = form.files
    assert (part.field_name, part.filename, part.content_type) == ("file", "a.csv", "text/csv")
    assert part.path.read_bytes() == file
    assert part.size == len(file)
    form.remove_files()
    assert staged(staging) == []


def test_a_file_at_the_limit_is_accepted(tmp_path: Path) -> None:
    form = parse(Chunks(split(form_body([], b"x" * 1000), 64)), tmp_path)
    assert form.files[0].size == 1000


def test_a_file_past_the_limit_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    chunks = Chunks(split(form_body([], b"x" * 5000), 64))
    with pytest.raises(UploadTooLarge) as refused:
        parse(chunks, tmp_path)
    assert "1,000 bytes" in refused.value.detail
    assert "1,000 字节" in refused.value.detail_zh
    assert chunks.pulled <= 1000 + 2 * 64 + 200
    assert staged(tmp_path) == []


def test_more_fields_than_the_limit_are_refused(tmp_path: Path) -> None:
    fields = [(f"f{i}", "v") for i in range(5)]
    with pytest.raises(FormTooLarge, match="more than 4 fields"):
        parse(Chunks([form_body(fields, b"data")]), tmp_path)
    assert staged(tmp_path) == []


def test_a_field_past_its_limit_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormTooLarge, match="100 bytes"):
        parse(Chunks([form_body([("title", "t" * 101)])]), tmp_path)


def test_a_second_file_is_refused(tmp_path: Path) -> None:
    body = form_body([], b"one")[: -len(f"--{BOUNDARY}--\r\n")] + form_body([], b"two")
    with pytest.raises(FormTooLarge, match="at most 1 file"):
        parse(Chunks([body]), tmp_path)
    assert staged(tmp_path) == []


def test_before_file_sees_the_preceding_fields_and_can_refuse_before_a_byte_is_stored(
    tmp_path: Path,
) -> None:
    seen: list[Mapping[str, str]] = []

    class Refused(Exception):
        pass

    def before_file(fields: Mapping[str, str]) -> None:
        seen.append(dict(fields))
        raise Refused

    with pytest.raises(Refused):
        parse(
            Chunks([form_body([("token", "abc")], b"x" * 500)]), tmp_path, before_file=before_file
        )
    assert seen == [{"token": "abc"}]
    assert staged(tmp_path) == []


def test_before_file_runs_at_the_end_of_a_form_without_a_file(tmp_path: Path) -> None:
    seen: list[Mapping[str, str]] = []
    parse(Chunks([form_body([("a", "1")])]), tmp_path, before_file=seen.append)
    assert seen == [{"a": "1"}]


def test_a_truncated_form_is_malformed_and_nothing_is_left(tmp_path: Path) -> None:
    body = form_body([("a", "1")], b"x" * 500)
    with pytest.raises(MalformedForm):
        parse(Chunks([body[:-30]]), tmp_path)
    assert staged(tmp_path) == []


def test_nothing_after_the_closing_boundary_is_read(tmp_path: Path) -> None:
    body = form_body([("a", "1")])
    chunks = Chunks([body, b"epilogue" * 1000, b"more" * 1000])
    parse(chunks, tmp_path)
    assert chunks.pulled == len(body)


def test_a_body_past_the_form_bound_is_refused(tmp_path: Path) -> None:
    limits = FormLimits(max_file_bytes=10, max_fields=1, max_field_bytes=10)
    chunks = Chunks([b"\r\n" * (limits.max_body_bytes // 2 + 1)] + [b"x" * 100] * 10)
    with pytest.raises(FormTooLarge, match="The form is larger"):
        parse(chunks, tmp_path, limits=limits)
    assert chunks.pulled <= limits.max_body_bytes + 100


@pytest.mark.parametrize(
    ("content_type", "error"),
    [
        ("application/json", NotMultipart),
        ("application/x-www-form-urlencoded", NotMultipart),
        ("multipart/form-data", MalformedForm),
    ],
)
def test_only_multipart_with_a_boundary_is_parsed(
    tmp_path: Path, content_type: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        parse(Chunks([b"{}"]), tmp_path, content_type=content_type)


def test_a_part_without_a_name_is_malformed(tmp_path: Path) -> None:
    body = f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
    with pytest.raises(MalformedForm):
        parse(Chunks([body]), tmp_path)

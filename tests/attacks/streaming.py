"""A request whose body is sent chunk by chunk, counting how much of it the server pulled.

``TestClient`` reads a generator body whole before the app sees it, so it cannot show what
the app reads; an HTTP server hands the body to the app through ASGI ``receive``, one chunk per
call, only when the app asks. ``post_streamed`` plays that server: it sends the chunks of a
lazy generator only as the app calls ``receive``, and reports how many bytes were pulled.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread
from starlette.types import ASGIApp, Message

CHUNK = 64 * 1024
# A chunk that stands for the client going away: ``receive`` answers ``http.disconnect``.
DISCONNECT = b"<disconnect>"


@dataclass
class StreamedAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    consumed: int

    def json(self) -> Any:
        return json.loads(self.body)


def post_streamed(
    app: ASGIApp, path: str, chunks: Iterable[bytes], headers: dict[str, str]
) -> StreamedAnswer:
    """POST ``chunks`` to ``path`` as a server would: each chunk only when the app asks.

    The event loop runs in a portal thread of its own, so an event loop another test left
    marked as running in this thread does not matter."""
    with anyio.from_thread.start_blocking_portal() as portal:
        return portal.call(_drive, app, path, iter(chunks), headers)


async def _drive(
    app: ASGIApp, path: str, chunks: Iterator[bytes], headers: dict[str, str]
) -> StreamedAnswer:
    consumed = 0
    sent_all = False
    answered = anyio.Event()
    start: Message = {}
    body = bytearray()

    async def receive() -> Message:
        nonlocal consumed, sent_all
        if sent_all:
            await answered.wait()
            return {"type": "http.disconnect"}
        chunk = next(chunks, None)
        if chunk is DISCONNECT:
            sent_all = True
            return {"type": "http.disconnect"}
        if chunk is None:
            sent_all = True
            return {"type": "http.request", "body": b"", "more_body": False}
        consumed += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    await app(scope, receive, send)
    answer_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return StreamedAnswer(start["status"], answer_headers, bytes(body), consumed)


def multipart_chunks(
    fields: dict[str, str], file_chunks: Iterable[bytes], *, boundary: str, filename: str = "x.csv"
) -> Iterator[bytes]:
    """A multipart form, lazily: the text fields, then one file part fed by ``file_chunks``."""
    for name, value in fields.items():
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    yield from file_chunks
    yield f"\r\n--{boundary}--\r\n".encode()


def csv_chunks(total: int) -> Iterator[bytes]:
    """``total`` bytes of a valid CSV (a header, then rows), in chunks of ``CHUNK``."""
    row = b"123,abc\n"
    yield b"n,s\n"
    sent = 4
    block = row * (CHUNK // len(row))
    while sent < total:
        piece = block[: total - sent]
        sent += len(piece)
        yield piece


def new_boundary() -> str:
    return f"sluice-attack-{uuid.uuid4().hex}"


def multipart_headers(boundary: str, **extra: str) -> dict[str, str]:
    return {"Content-Type": f"multipart/form-data; boundary={boundary}", **extra}

"""Bounded request bodies: who may upload is decided before the body is read, and no body is
read or stored past its limit.

Found: "``POST /api/v1/datasets`` writes the whole request body to disk before checking the
token or the size limit: an anonymous client streamed 1.5 GB to the disk before its 401."
Each attack sends its body chunk by chunk and counts what the server pulled
(``tests.attacks.streaming``), then checks that nothing was stored: no dataset, no file in the
data directory's staging area, nothing in the temporary directory (where Starlette spools
uploads it parses itself).
"""

from __future__ import annotations

import itertools
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from ground.config import Settings
from market.console.csrf import CSRF_COOKIE, CSRF_FIELD
from market.console.session import ACCESS_COOKIE
from tests.attacks.harness import Account, Outsider
from tests.attacks.streaming import (
    CHUNK,
    DISCONNECT,
    StreamedAnswer,
    csv_chunks,
    multipart_chunks,
    multipart_headers,
    new_boundary,
    post_streamed,
)
from tests.fixtures.settings import apply_settings

HUGE = 64 * 1024 * 1024  # sent lazily: only what the server pulls is ever made
FIELDS = {"title": "Bounded", "domain": "attack", "description": "made by an attack"}
LIMIT = 256 * 1024


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory, private to the test: whatever spools an upload lands here."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    """A small upload limit, so an over-limit body is cheap to make."""
    return apply_settings(monkeypatch, max_upload_bytes=str(LIMIT))


def upload_stream(
    outsider: Outsider,
    headers: dict[str, str],
    total: int,
    *,
    path: str = "/api/v1/datasets",
    fields: dict[str, str] = FIELDS,
    length: int | None = None,
) -> StreamedAnswer:
    boundary = new_boundary()
    sent = multipart_headers(boundary, **headers)
    if length is not None:
        sent["Content-Length"] = str(length)
    body = multipart_chunks(fields, csv_chunks(total), boundary=boundary)
    return post_streamed(outsider.client.app, path, body, sent)


def assert_nothing_stored(outsider: Outsider, provider: Account, settings: Settings) -> None:
    staging = settings.data_dir / "staging"
    assert not staging.exists() or list(staging.iterdir()) == []
    assert outsider.get(provider, "/api/v1/datasets")["total"] == 0


def assert_refused(answer: StreamedAnswer, status: int, error: str) -> None:
    assert answer.status == status, answer.body
    body = answer.json()
    assert body["error"] == error
    assert body["detail_zh"] != body["detail"]
    assert body["request_id"] == answer.headers["x-request-id"]
    assert answer.headers["connection"] == "close"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}],
    ids=["anonymous", "bad-token", "other-scheme"],
)
def test_an_upload_without_valid_credentials_is_refused_unread(
    outsider: Outsider, settings: Settings, private_tmp: Path, headers: dict[str, str]
) -> None:
    provider = outsider.account("provider")
    answer = upload_stream(outsider, headers, HUGE)
    assert answer.consumed == 0
    assert_refused(answer, 401, "NotAuthenticated")
    assert list(private_tmp.iterdir()) == []
    assert_nothing_stored(outsider, provider, settings)


def test_a_real_server_answers_an_anonymous_upload_before_its_body_arrives(
    outsider: Outsider, app: FastAPI, settings: Settings, private_tmp: Path
) -> None:
    """Over a socket to uvicorn: the headers announce 1.5 GB, one chunk follows, and the 401
    comes back (and the connection closes) while the client has sent nothing more."""
    provider = outsider.account("provider")
    head = (
        "POST /api/v1/datasets HTTP/1.1\r\nHost: sluice.test\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {3 * 2**29}\r\n\r\n--b\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    )
    with live_uvicorn(app) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(20)
        sock.sendall(head.encode() + b"x" * CHUNK)
        answer = bytearray()
        while chunk := sock.recv(65536):
            answer += chunk
    status, _, rest = bytes(answer).partition(b"\r\n")
    assert status == b"HTTP/1.1 401 Unauthorized"
    assert b"connection: close" in rest.lower()
    assert list(private_tmp.iterdir()) == []
    assert_nothing_stored(outsider, provider, settings)


@contextmanager
def live_uvicorn(app: FastAPI) -> Iterator[int]:
    """The app served by uvicorn on a free local port, for as long as the block runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.mark.parametrize("role", ["buyer", "compliance"])
def test_an_upload_by_another_role_is_refused_unread(
    outsider: Outsider, settings: Settings, private_tmp: Path, role: str
) -> None:
    provider = outsider.account("provider")
    other = outsider.account(role)
    answer = upload_stream(outsider, other.headers, HUGE)
    assert answer.consumed == 0
    assert_refused(answer, 403, "Forbidden")
    assert list(private_tmp.iterdir()) == []
    assert_nothing_stored(outsider, provider, settings)


def test_a_declared_length_over_the_limit_is_refused_unread(
    outsider: Outsider, limited: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    answer = upload_stream(outsider, provider.headers, HUGE, length=HUGE)
    assert answer.consumed == 0
    assert_refused(answer, 413, "FormTooLarge")
    assert_nothing_stored(outsider, provider, limited)


@pytest.mark.parametrize("length", [None, 1000], ids=["no-length", "lying-length"])
def test_a_file_over_the_limit_stops_the_read_at_the_limit(
    outsider: Outsider, limited: Settings, private_tmp: Path, length: int | None
) -> None:
    provider = outsider.account("provider")
    answer = upload_stream(outsider, provider.headers, HUGE, length=length)
    assert_refused(answer, 413, "UploadTooLarge")
    assert "262,144 bytes" in answer.json()["detail"]
    # The fields, then the file up to its limit; the chunk that passed it is the last read.
    assert answer.consumed <= LIMIT + 2 * CHUNK
    assert list(private_tmp.iterdir()) == []
    assert_nothing_stored(outsider, provider, limited)


def test_a_file_within_the_limit_is_stored_and_the_staging_file_removed(
    outsider: Outsider, limited: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    answer = upload_stream(outsider, provider.headers, LIMIT // 2)
    assert answer.status == 201, answer.body
    assert outsider.get(provider, f"/api/v1/datasets/{answer.json()['id']}")["row_count"] > 1000
    assert list((limited.data_dir / "staging").iterdir()) == []
    assert list(private_tmp.iterdir()) == []


def test_a_client_that_goes_away_mid_upload_leaves_nothing(
    outsider: Outsider, settings: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    boundary = new_boundary()
    file_chunks = itertools.chain(itertools.islice(csv_chunks(HUGE), 4), [DISCONNECT])
    body = multipart_chunks(FIELDS, file_chunks, boundary=boundary)
    answer = post_streamed(
        outsider.client.app,
        "/api/v1/datasets",
        body,
        multipart_headers(boundary, **provider.headers),
    )
    assert answer.status == 400
    assert answer.json()["error"] == "UploadInterrupted"
    assert list(private_tmp.iterdir()) == []
    assert_nothing_stored(outsider, provider, settings)


def test_thousands_of_form_fields_are_refused(
    outsider: Outsider, settings: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    fields = {**FIELDS, **{f"f{i}": "x" for i in range(5000)}}
    answer = upload_stream(outsider, provider.headers, 1000, fields=fields)
    assert_refused(answer, 413, "FormTooLarge")
    assert f"more than {settings.max_form_fields} fields" in answer.json()["detail"]
    assert_nothing_stored(outsider, provider, settings)


def test_a_huge_form_field_is_refused_at_its_limit(
    outsider: Outsider, settings: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    boundary = new_boundary()

    def body() -> Iterator[bytes]:
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n'.encode()
        yield from (b"t" * CHUNK for _ in range(HUGE // CHUNK))

    answer = post_streamed(
        outsider.client.app,
        "/api/v1/datasets",
        body(),
        multipart_headers(boundary, **provider.headers),
    )
    assert answer.consumed <= settings.max_form_field_bytes + 2 * CHUNK
    assert_refused(answer, 413, "FormTooLarge")
    assert_nothing_stored(outsider, provider, settings)


def test_a_second_file_part_is_refused(outsider: Outsider, settings: Settings) -> None:
    provider = outsider.account("provider")
    response = outsider.client.post(
        "/api/v1/datasets",
        headers=provider.headers,
        files=[
            ("file", ("a.csv", b"n\n1\n", "text/csv")),
            ("file", ("b.csv", b"n\n2\n", "text/csv")),
        ],
        data=FIELDS,
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "FormTooLarge"
    assert_nothing_stored(outsider, provider, settings)


def test_a_body_that_is_not_a_form_is_refused(outsider: Outsider, settings: Settings) -> None:
    provider = outsider.account("provider")
    response = outsider.client.post("/api/v1/datasets", headers=provider.headers, json=FIELDS)
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "NotMultipart"
    assert_nothing_stored(outsider, provider, settings)


def test_an_attachment_over_its_limit_is_refused_unread(
    outsider: Outsider, settings: Settings
) -> None:
    provider = outsider.account("provider")
    dataset = outsider.uploaded(provider, b"n,s\n1,a\n2,b\n")
    path = f"/api/v1/datasets/{dataset['id']}/attachments"
    buyer = outsider.account("buyer")
    assert upload_stream(outsider, buyer.headers, HUGE, path=path, fields={}).consumed == 0
    answer = upload_stream(outsider, provider.headers, HUGE, path=path, fields={})
    assert answer.consumed <= 20 * 1024 * 1024 + 2 * CHUNK
    assert_refused(answer, 413, "UploadTooLarge")
    assert outsider.get(provider, path) == []


# ----- every other body ------------------------------------------------------------------------


def test_an_over_limit_json_body_is_refused(
    outsider: Outsider, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    buyer = outsider.account("buyer")
    apply_settings(monkeypatch, max_request_body_bytes="4096")
    response = outsider.client.post(
        "/api/v1/api-keys", headers=buyer.headers, json={"name": "k" * 10_000}
    )
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["error"] == "RequestBodyTooLarge"
    assert "4,096 bytes" in body["detail"]
    assert body["detail_zh"] != body["detail"]
    assert outsider.get(buyer, "/api/v1/api-keys") == []


def test_a_chunked_json_body_stops_at_the_limit(
    outsider: Outsider, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    buyer = outsider.account("buyer")
    apply_settings(monkeypatch, max_request_body_bytes="4096")
    chunks = (b" " * 1024 for _ in range(HUGE // 1024))
    answer = post_streamed(
        outsider.client.app,
        "/api/v1/api-keys",
        chunks,
        {**buyer.headers, "Content-Type": "application/json"},
    )
    assert answer.consumed <= 4096 + 1024
    assert_refused(answer, 413, "RequestBodyTooLarge")
    assert outsider.get(buyer, "/api/v1/api-keys") == []


def test_an_over_limit_declared_length_is_refused_unread(
    outsider: Outsider, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    buyer = outsider.account("buyer")
    apply_settings(monkeypatch, max_request_body_bytes="4096")
    answer = post_streamed(
        outsider.client.app,
        "/api/v1/api-keys",
        (b" " * 1024 for _ in range(HUGE // 1024)),
        {**buyer.headers, "Content-Type": "application/json", "Content-Length": str(HUGE)},
    )
    assert answer.consumed == 0
    assert_refused(answer, 413, "RequestBodyTooLarge")


def test_a_sign_in_form_over_the_limit_is_refused(
    outsider: Outsider, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    apply_settings(monkeypatch, max_request_body_bytes="4096")
    response = outsider.client.post(
        "/api/v1/auth/token", data={"username": "x@example.com", "password": "p" * 10_000}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "RequestBodyTooLarge"


# ----- the console's upload form ---------------------------------------------------------------


def console_cookies(outsider: Outsider, account: Account) -> dict[str, str]:
    """The cookies of a browser signed in to the console as ``account``."""
    with outsider.console(account) as browser:
        browser.get("/console/provider/upload")
        return {name: browser.cookies[name] for name in (ACCESS_COOKIE, CSRF_COOKIE)}


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def test_a_console_upload_without_a_session_is_sent_to_sign_in_unread(
    outsider: Outsider, settings: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    answer = upload_stream(outsider, {}, HUGE, path="/console/provider/upload")
    assert answer.status == 303
    assert answer.headers["location"].startswith("/console/login")
    assert answer.consumed == 0
    assert_nothing_stored(outsider, provider, settings)


def console_upload(
    outsider: Outsider, account: Account, total: int, *, token_first: bool = True
) -> StreamedAnswer:
    """The console's upload form as ``account``'s browser sends it: the CSRF token field first
    (as the form renders it), or only the other fields."""
    cookies = console_cookies(outsider, account)
    token = {CSRF_FIELD: cookies[CSRF_COOKIE]} if token_first else {}
    return upload_stream(
        outsider,
        cookie_header(cookies),
        total,
        path="/console/provider/upload",
        fields={**token, **FIELDS},
    )


def test_a_console_upload_by_a_buyer_is_refused_unread(
    outsider: Outsider, settings: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    answer = console_upload(outsider, outsider.account("buyer"), HUGE)
    assert answer.consumed == 0
    assert answer.status == 403
    assert_nothing_stored(outsider, provider, settings)


def test_a_console_upload_whose_token_does_not_come_first_stores_nothing(
    outsider: Outsider, settings: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    answer = console_upload(outsider, provider, HUGE, token_first=False)
    assert answer.consumed < CHUNK
    assert answer.status == 403
    assert_nothing_stored(outsider, provider, settings)


def test_a_console_upload_over_the_limit_is_refused_at_the_limit(
    outsider: Outsider, limited: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    answer = console_upload(outsider, provider, HUGE)
    assert answer.consumed <= LIMIT + 2 * CHUNK
    assert answer.status == 413
    assert "262,144" in answer.body.decode()
    assert list(private_tmp.iterdir()) == []
    assert_nothing_stored(outsider, provider, limited)


def test_a_console_upload_with_its_token_first_is_stored(
    outsider: Outsider, limited: Settings, private_tmp: Path
) -> None:
    provider = outsider.account("provider")
    answer = console_upload(outsider, provider, LIMIT // 2)
    assert answer.status == 303, answer.body
    assert outsider.get(provider, "/api/v1/datasets")["total"] == 1
    assert list((limited.data_dir / "staging").iterdir()) == []

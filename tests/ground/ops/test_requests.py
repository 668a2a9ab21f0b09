"""One request id per request: in the response header, in every error body, on every line."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accounts.models import User
from ground.config import Settings
from ground.ops.requests import request_id_from
from market.shell.app import create_app
from tests.fixtures.client import bearer
from tests.fixtures.logs import LogOutput

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "given",
    [
        "3f2b8c1e-9a4d-4f6b-8e2a-1c3d5e7f9a0b",
        "3F2B8C1E-9A4D-4F6B-8E2A-1C3D5E7F9A0B",
        "9f86d081884c7d659a2feaa0c55ad015",
        "0123456789abcdef",
    ],
)
def test_a_client_request_id_of_a_known_shape_is_kept_and_returned(
    client: TestClient, given: str
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.headers["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given",
    [
        "",
        "has space",
        "a" * 65,
        "new\nline",
        "<script>",
        "中文",
        "lb-7f3a.42:x_1",
        "110105199003071234",  # a resident ID number: digits only
        "11010519900307123X",
        "6222021234567890123",  # a bank card
        "13812345678",  # a mobile number
        "slk_" + "a1" * 20,  # an API key
    ],
)
def test_anything_else_is_replaced_by_a_generated_id(given: str) -> None:
    assert GENERATED.fullmatch(request_id_from(given))


def test_without_a_client_id_each_request_gets_its_own(client: TestClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "error"),
    [
        ("get", "/api/v1/me", {}, 401, "NotAuthenticated"),
        ("get", "/api/v1/no-such-route", {}, 404, "HTTPError"),
        ("delete", "/healthz", {}, 405, "HTTPError"),
        ("post", "/api/v1/auth/token", {"data": {"username": "x"}}, 422, "ValidationError"),
    ],
)
def test_every_error_body_keeps_its_fields_and_adds_the_request_id(
    client: TestClient,
    method: str,
    path: str,
    kwargs: dict[str, object],
    status: int,
    error: str,
) -> None:
    response = getattr(client, method)(path, headers={"X-Request-ID": "eee0000000000123"}, **kwargs)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["detail"]
    assert body["detail_zh"]
    assert body["request_id"] == "eee0000000000123" == response.headers["X-Request-ID"]


def test_a_service_error_carries_the_request_id(
    client: TestClient, settings: Settings, buyer: User
) -> None:
    response = client.get(
        "/api/v1/billing/statements?month=2026-13",
        headers={**bearer(buyer, settings), "X-Request-ID": "5e7c000000000001"},
    )
    assert 400 <= response.status_code < 500
    assert response.json()["request_id"] == "5e7c000000000001"


@pytest.fixture
def failing_app(settings: Settings) -> FastAPI:
    app = create_app()

    @app.get("/boom/{item_id}")
    def boom(item_id: str) -> None:
        raise RuntimeError(f"engine said: value {item_id} is bad")

    return app


def test_an_unexpected_error_is_a_500_with_a_fixed_text_and_the_request_id(
    failing_app: FastAPI, log_output: LogOutput
) -> None:
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        response = client.get(
            "/boom/110105199003071234", headers={"X-Request-ID": "b00b000000000001"}
        )
    assert response.status_code == 500
    assert response.json() == {
        "error": "InternalError",
        "detail": "An unexpected error occurred; quote the request id to the operator.",
        "detail_zh": "服务器发生意外错误，请向平台运营方提供请求编号。",
        "request_id": "b00b000000000001",
    }
    assert response.headers["X-Request-ID"] == "b00b000000000001"
    [line] = log_output.events("request failed")
    assert line["request_id"] == "b00b000000000001"
    assert (line["route"], line["status"]) == ("/boom/{item_id}", 500)
    assert line["exception"]["type"] == "RuntimeError"
    assert "110105199003071234" not in log_output.text


def test_one_line_per_request_with_route_template_status_duration_and_error_class(
    client: TestClient, settings: Settings, buyer: User, log_output: LogOutput
) -> None:
    client.get(
        "/api/v1/datasets/00000000-0000-0000-0000-000000000000",
        headers={**bearer(buyer, settings), "X-Request-ID": "1111aaaa00000001"},
    )
    [line] = [r for r in log_output.events("request") if r.get("request_id") == "1111aaaa00000001"]
    assert line["route"] == "/api/v1/datasets/{dataset_id}"
    assert (line["method"], line["status"], line["error"]) == ("GET", 404, "NotFound")
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"
    assert "00000000-0000-0000-0000-000000000000" not in log_output.text


def test_lines_written_inside_the_request_carry_its_id(
    client: TestClient, log_output: LogOutput
) -> None:
    """The sign-in throttle's stdlib warning, written deep in a service, has the id too."""
    for _ in range(11):
        client.post(
            "/api/v1/auth/token",
            data={"username": "nobody@example.com", "password": "wrong-password-1"},
            headers={"X-Request-ID": "dee9000000000001"},
        )
    throttled = log_output.events("sign-in throttled")
    assert throttled
    assert {line["request_id"] for line in throttled} == {"dee9000000000001"}


def test_a_path_no_route_matches_is_logged_as_unmatched(
    client: TestClient, log_output: LogOutput
) -> None:
    client.get(
        "/api/v1/data/110105199003071234/anything", headers={"X-Request-ID": "a000000000000001"}
    )
    [line] = [r for r in log_output.events("request") if r.get("request_id") == "a000000000000001"]
    assert line["route"] == "unmatched"
    assert "110105199003071234" not in log_output.text


def test_console_pages_get_the_header_and_their_error_class_logged(
    client: TestClient, log_output: LogOutput
) -> None:
    response = client.get(
        "/console/catalog", headers={"X-Request-ID": "9a9e000000000001"}, follow_redirects=False
    )
    assert response.headers["X-Request-ID"] == "9a9e000000000001"
    [line] = [r for r in log_output.events("request") if r.get("request_id") == "9a9e000000000001"]
    assert (line["route"], line["error"]) == ("/console/catalog", "LoginRequired")

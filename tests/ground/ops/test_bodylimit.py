"""The global bound on request bodies, on a small app of its own."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from ground.errors import install_error_handlers
from ground.ops.bodylimit import RequestBodyLimitMiddleware, lift_body_limit
from tests.attacks.streaming import post_streamed

LIMIT = 1000


def bounded_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestBodyLimitMiddleware, max_body_bytes=lambda: LIMIT)

    @app.post("/json")
    def echo(body: dict[str, str]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.post("/swallow")
    async def swallow(request: Request) -> JSONResponse:
        # A route that turns every failure into its own answer: the 413 still stands.
        try:
            await request.body()
        except Exception:
            return JSONResponse({"ok": False}, status_code=400)
        return JSONResponse({"ok": True})

    @app.post("/large")
    async def large(request: Request) -> dict[str, int]:
        lift_body_limit(request.scope, 10 * LIMIT)
        return {"size": len(await request.body())}

    return app


def spaces(total: int, chunk: int = 100) -> Iterator[bytes]:
    for _ in range(total // chunk):
        yield b" " * chunk


def test_a_body_within_the_limit_passes() -> None:
    response = TestClient(bounded_app()).post("/json", json={"a": "b"})
    assert response.status_code == 200
    assert response.json() == {"keys": 1}


def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read() -> None:
    answer = post_streamed(
        bounded_app(),
        "/json",
        spaces(100_000),
        {"Content-Type": "application/json", "Content-Length": "100000"},
    )
    assert answer.status == 413
    assert answer.consumed == 0
    assert answer.json()["error"] == "RequestBodyTooLarge"
    assert answer.headers["connection"] == "close"


def test_a_body_without_a_length_stops_at_the_limit() -> None:
    answer = post_streamed(
        bounded_app(), "/json", spaces(100_000), {"Content-Type": "application/json"}
    )
    assert answer.status == 413
    assert LIMIT < answer.consumed <= LIMIT + 100
    body = answer.json()
    assert body["detail"] == "The request body is larger than the limit of 1,000 bytes."
    assert body["detail_zh"] == "请求体超过大小上限 1,000 字节。"


def test_a_route_that_swallows_the_refusal_still_answers_413() -> None:
    answer = post_streamed(bounded_app(), "/swallow", spaces(100_000), {})
    assert answer.status == 413
    assert answer.json()["error"] == "RequestBodyTooLarge"


def test_a_route_may_lift_the_limit_for_itself() -> None:
    client = TestClient(bounded_app())
    assert client.post("/large", content=b"x" * 5 * LIMIT).json() == {"size": 5 * LIMIT}
    assert client.post("/large", content=b"x" * 11 * LIMIT).status_code == 413


def test_a_content_length_that_is_not_a_number_is_400() -> None:
    answer = post_streamed(bounded_app(), "/json", spaces(100), {"Content-Length": "12x"})
    assert answer.status == 400
    assert answer.json()["error"] == "BadContentLength"
    assert answer.consumed == 0

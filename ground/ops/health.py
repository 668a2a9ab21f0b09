"""Operations endpoints: liveness, readiness and the Prometheus scrape.

- ``GET /healthz``: the process answers (liveness). It checks nothing else on purpose: a
  database outage must not make an orchestrator restart every API process.
- ``GET /readyz``: the database answers ``SELECT 1`` and, when a broker is configured, the
  broker accepts a connection; otherwise 503 naming the failed dependency and the class of
  the error, never its message (it can name hosts, users or databases) — the full story is in
  the log line, under the same request id.
- ``GET /metrics``: Prometheus text. With ``SLUICE_METRICS_TOKEN`` only a scraper sending
  ``Authorization: Bearer <token>`` gets it (401 otherwise); without a token only clients on
  the loopback interface do (403 otherwise). Behind a reverse proxy on the same host every
  client looks local, so set a token there.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from kombu import Connection

from ground.config import Settings
from ground.db import ping
from ground.dependencies import SettingsDep
from ground.errors import Forbidden, NotAuthenticated
from ground.openapi import error_responses
from ground.ops import metrics
from ground.ops.logs import get_logger
from ground.ops.scope import request_id_of

router = APIRouter(tags=["ops"])
log = get_logger(__name__)
BROKER_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness probe: the process is up and answering."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "A dependency is unavailable; `detail` names it."}},
)
def readyz(request: Request, settings: SettingsDep) -> JSONResponse:
    """Readiness probe: the database answers and, when configured, the Celery broker does.

    503 with `{"error": "NotReady", "detail", "detail_zh", "checks", "request_id"}` otherwise."""
    checks = {"database": _check_database(settings)}
    checks["broker"] = (
        "in-process" if settings.tasks_in_process else _check_broker(settings.celery_broker_url)
    )
    failed = {name: state for name, state in checks.items() if state.startswith("unreachable")}
    if not failed:
        return JSONResponse({"status": "ready", "checks": checks})
    what = "; ".join(f"{name}: {state}" for name, state in failed.items())
    body: dict[str, Any] = {
        "status": "unavailable",
        "checks": checks,
        "error": "NotReady",
        "detail": f"Not ready: {what}.",
        "detail_zh": f"服务尚未就绪：{what}。",
        "request_id": request_id_of(request),
    }
    return JSONResponse(body, status_code=503)


def _check_database(settings: Settings) -> str:
    try:
        ping(settings.database_url)
    except Exception as exc:
        log.warning("readiness: database unreachable", exc_info=exc)
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def _check_broker(url: str) -> str:
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0,
                interval_max=0,
                timeout=BROKER_TIMEOUT_SECONDS,
            )
    except Exception as exc:
        log.warning("readiness: broker unreachable", exc_info=exc)
        return f"unreachable ({type(exc).__name__})"
    return "ok"


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **error_responses(401, 403),
    },
)
def prometheus_metrics(request: Request, settings: SettingsDep) -> Response:
    """Prometheus metrics (text exposition format). Who may scrape: see the README's
    Operating section (a bearer token, or the loopback interface only)."""
    _authorize_scrape(request, settings)
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)


def _authorize_scrape(request: Request, settings: Settings) -> None:
    if settings.metrics_token is not None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        expected = settings.metrics_token.get_secret_value()
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.encode()
        ):
            raise NotAuthenticated(
                "Metrics need the scrape token (Authorization: Bearer …).",
                "读取监控指标需要抓取令牌（Authorization: Bearer …）。",
            )
        return
    if not _is_loopback(request.client.host if request.client else ""):
        raise Forbidden(
            "Metrics are served to the loopback interface only (or set SLUICE_METRICS_TOKEN).",
            "监控指标仅向本机回环地址提供（或设置 SLUICE_METRICS_TOKEN）。",
        )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # not an address (a test client's name, a Unix socket): not local
        return False

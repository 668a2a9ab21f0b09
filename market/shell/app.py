"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from accounts.endpoints import router as accounts_router
from audit.endpoints import router as audit_router
from billing.endpoints import router as billing_router
from billing.payment_endpoints import router as payments_router
from ground.config import check_process_environment, get_settings
from ground.errors import install_error_handlers
from ground.openapi import install_openapi
from ground.ops import health
from ground.ops.bodylimit import RequestBodyLimitMiddleware
from ground.ops.logs import configure_logging
from ground.ops.requests import RequestContextMiddleware
from ground.ops.sentry import init_sentry
from listings.endpoints import router as listings_router
from listings.governance_endpoints import router as governance_router
from listings.policy_endpoints import router as policy_router
from market import console
from market.dataapi.endpoints import router as data_router
from market.reports.endpoints import router as reports_router
from market.shell.wiring import wire
from sandbox.endpoints import router as sandbox_router
from trade.endpoints import router as trade_router
from trade.review_endpoints import router as order_reviews_router
from trade.settlement_endpoints import router as settlement_router

API_PREFIX = "/api/v1"

DESCRIPTION = """
Sluice is a data exchange: providers list desensitized datasets, compliance staff review every
listing, and buyers read rows masked by the approved policy.

Sign in at `POST /api/v1/auth/token` (the **Authorize** button) for the management API; the data
API (`/api/v1/data/...`) takes a buyer's API key in the `X-API-Key` header. Errors have the
shape `{"error": "...", "detail": "...", "detail_zh": "...", "request_id": "..."}`; every
response carries its `X-Request-ID` (yours, if you send a UUID or a hex id).
"""


def _max_request_body_bytes() -> int:
    return get_settings().max_request_body_bytes


def create_app() -> FastAPI:
    check_process_environment()
    settings = get_settings()
    configure_logging(settings)
    init_sentry(settings)
    wire()
    app = FastAPI(title="Sluice", version="0.1.0", description=DESCRIPTION)
    install_error_handlers(app)
    # Inside the request middleware, so a refused body is logged and answered with its id.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_bytes=_max_request_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    api = APIRouter(prefix=API_PREFIX)
    routers = (
        accounts_router,
        listings_router,
        governance_router,
        policy_router,
        billing_router,
        trade_router,
        settlement_router,
        payments_router,
        order_reviews_router,
        data_router,
        audit_router,
        reports_router,
        sandbox_router,
    )
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    install_openapi(app, api_prefix=API_PREFIX)
    console.install(app)
    app.include_router(health.router)
    return app

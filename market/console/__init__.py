"""The web console: server-rendered pages for providers, buyers and compliance staff.

Pages are Jinja2 templates rendered by the same FastAPI app that serves the API, with htmx
(vendored under ``static/``) for progressive enhancement; every page also works as plain HTML
forms. Pages call the domain services (``listings.service``, ``billing.service`` ...), never
repositories, and authenticate with the API's own tokens kept in cookies (``session``).

Adding an area (e.g. ``buyer``):

1. ``market/console/buyer.py`` with ``router = APIRouter()`` (paths relative to ``/console``,
   e.g. ``@router.get("/orders")``) and ``NAV = (NavItem("buyer.nav.orders",
   "/console/orders", frozenset({Role.buyer})),)``; protect each page with a role dependency
   from ``session`` (``BuyerUser`` ...) and answer with ``templating.render`` / ``redirect``.
2. Add the module to ``AREAS`` below.
3. Templates in ``templates/buyer/`` extending ``base.html``; texts in
   ``messages/buyer.py`` (keys prefixed ``buyer.``), used as ``{{ t("buyer.key") }}``.
4. Forms post with ``{% include "_csrf.html" %}``; services' errors need no handling (they
   become a page or an htmx alert in the reader's language, see ``errors``).
5. Add every route to ``tests/console/test_access.py``'s table and test the pages with the
   ``console`` fixtures in ``tests/console/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from market.console import (
    buyer,
    buyer_keys,
    buyer_sandbox,
    buyer_usage,
    catalog,
    errors,
    home,
    nav,
    provider,
)
from market.console.csrf import verify_csrf

PREFIX = "/console"
STATIC_DIR = Path(__file__).parent / "static"
AREAS = (home, catalog, provider, buyer, buyer_keys, buyer_usage, buyer_sandbox)


def _router() -> APIRouter:
    router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
    for area in AREAS:
        nav.register(*area.NAV)
        router.include_router(area.router, prefix=PREFIX)
    return router


def console_routes() -> set[tuple[str, str]]:
    """(method, path) of every console page, for the access tests (pages are not in the
    OpenAPI document, and included routers do not list their routes)."""
    return {
        (method, PREFIX + route.path)
        for area in AREAS
        for route in area.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }


def install(app: FastAPI) -> None:
    """Mount the console on ``app``: static files, pages, HTML errors and ``/`` -> console."""
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(_router())
    errors.install(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(PREFIX, status_code=307)

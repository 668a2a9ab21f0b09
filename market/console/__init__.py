"""The web console: server-rendered pages for providers, buyers and compliance staff.

Pages are Jinja2 templates rendered by the same FastAPI app that serves the API, with htmx
(vendored under ``static/``) for progressive enhancement; every page also works as plain HTML
forms. Pages call the domain services (``listings.service``, ``billing.service`` ...) and the
domains' read-model builders (``listings.views``, ``trade.views``, ``sandbox.views``: what the API
returns), never repositories nor API router modules (``*.endpoints``, enforced by the
import-linter contract in ``pyproject.toml``), and authenticate with the API's own tokens kept
in cookies (``session``).

Adding an area (e.g. ``buyer``):

1. ``market/console/buyer.py`` with ``router = APIRouter(prefix="/buyer")`` (paths are under
   ``/console``) and ``NAV = (NavItem("buyer.nav", "/console/buyer", frozenset({Role.buyer})),)``
   (the nav bar shows an entry only to its roles). Protect each page with a role dependency
   from ``session`` (``BuyerUser``, ``ComplianceUser``, ``StaffUser`` ...: the API's own role
   check) and answer with ``templating.render(request, "buyer/x.html", user, {...})``, or
   ``templating.redirect(request, url)`` after a successful post (a 303, or ``HX-Redirect``
   for htmx). Call services, never repositories; ``user.principal`` is what they take.
2. Add the module to ``AREAS`` below.
3. Templates in ``templates/buyer/`` extending ``base.html`` (blocks ``title``, ``flash``,
   ``content``); shared macros in ``_macros.html`` (``{% import "_macros.html" as ui with
   context %}``: ``rows_table``, ``pager``, ``status_badge``, ``grade``, ``plan_quota``);
   filters ``money`` / ``major_units`` / ``datetime``. The dataset page includes
   ``buyer/_order_form.html`` for a buyer on a listed dataset with plans.
4. Texts in ``messages/buyer.py`` (keys prefixed ``buyer.``), used as ``{{ t("buyer.key") }}``;
   a missing key fails the page's test.
5. Forms: ``{% include "_csrf.html" %}`` in every ``<form method="post">`` (htmx sends the
   header by itself). Read fields with ``Form()`` or ``forms.FormFields`` and validate with
   the API's request model through ``forms.validate_form``; prices with
   ``forms.money_to_minor``. Don't catch ``SluiceError``: it becomes an error page or, for
   htmx, an alert in ``#flash``, in the reader's language, after the unit of work rolled
   back.
6. Charts: ``charts.line_chart`` / ``charts.bar_chart`` with a ``charts.ChartText``; show the
   numbers in a table too.
7. Tests: add every route to ``tests/market/console/test_access.py``'s table; page tests use the
   ``signed_in`` / ``post_form`` helpers of ``tests/market/console/conftest.py``; a browser journey
   uses the ``page`` fixture (a live server on a committed database) and ``screenshot``.
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
    compliance,
    compliance_audit,
    compliance_report,
    compliance_sandbox,
    compliance_stops,
    compliance_trades,
    errors,
    home,
    nav,
    provider,
    provider_columns,
    provider_delete,
    provider_documents,
    provider_sandbox,
)
from market.console.csrf import verify_csrf

PREFIX = "/console"
STATIC_DIR = Path(__file__).parent / "static"
AREAS = (
    home,
    catalog,
    provider,
    provider_columns,
    provider_delete,
    provider_documents,
    provider_sandbox,
    buyer,
    buyer_keys,
    buyer_usage,
    buyer_sandbox,
    compliance,
    compliance_trades,
    compliance_stops,
    compliance_audit,
    compliance_report,
    compliance_sandbox,
)


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

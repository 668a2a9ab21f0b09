"""Rendering pages: one Jinja2 environment and the helpers every page module uses.

``render`` fills the context every template may rely on (``lang``, ``user``, ``csrf_token``,
``nav``, ``t``) and hands the browser any cookie the request produced (a new CSRF token, a
renewed session). ``redirect`` answers a form post: a 303 for a plain browser, an
``HX-Redirect`` header for htmx, which would otherwise swap the next page into a fragment.
Templates run with ``StrictUndefined``, so a misspelt variable fails the page's test.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from billing.money import CURRENCIES
from ground.config import get_settings
from ground.idempotency.route import FORM_FIELD as IDEMPOTENCY_FIELD
from market.console import csrf, session
from market.console.i18n import HTML_LANG, Lang, lang_of, translate
from market.console.nav import visible_nav
from market.console.session import ConsoleUser

TEMPLATES_DIR = Path(__file__).parent / "templates"
CURRENCY_SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


@pass_context
def _t(context: Context, key: str, **values: object) -> str:
    return translate(key, context["lang"], **values)


def format_money(amount_minor: int, currency: str = "CNY") -> str:
    """Integer minor units as a price (12345, CNY -> ¥123.45); exact, no float involved."""
    exponent = CURRENCIES.get(currency, 2)
    amount = Decimal(amount_minor).scaleb(-exponent)
    sign = CURRENCY_SIGNS.get(currency, "")
    text = f"{amount:,.{exponent}f}"
    return f"{sign}{text}" if sign else f"{text} {currency}"


def major_units(amount_minor: int, currency: str = "CNY") -> str:
    """12345, CNY -> "123.45": the plain number a price input is filled with."""
    exponent = CURRENCIES.get(currency, 2)
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"


def format_datetime(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = _t
    # A new key each time a form is rendered: submitting that form twice (a double click, a
    # resend) is one write (``ground.idempotency``); the next form rendered gets another key.
    env.globals["new_idempotency_key"] = lambda: str(uuid.uuid4())
    env.filters["money"] = format_money
    env.filters["major_units"] = major_units
    env.filters["datetime"] = format_datetime
    return env


templates = Jinja2Templates(env=_environment())


def page_context(request: Request, user: ConsoleUser | None) -> dict[str, Any]:
    lang: Lang = lang_of(request)
    return {
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "user": user,
        "csrf_token": csrf.csrf_token(request),
        "csrf_field": csrf.CSRF_FIELD,
        "idempotency_field": IDEMPOTENCY_FIELD,
        "nav": visible_nav(user.role if user else None),
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "is_htmx": request.headers.get("HX-Request") == "true",
    }


def finish(request: Request, response: Response) -> Response:
    """Attach the cookies this request produced; every console response passes here."""
    settings = get_settings()
    csrf.apply_new_token(request, response, settings)
    session.apply_renewed_tokens(request, response, settings)
    return response


def render(
    request: Request,
    template: str,
    user: ConsoleUser | None,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response = templates.TemplateResponse(
        request,
        template,
        {**page_context(request, user), **(context or {})},
        status_code=status_code,
        headers=dict(headers or {}),
    )
    return finish(request, response)


def redirect(request: Request, url: str) -> Response:
    if request.headers.get("HX-Request") == "true":
        return finish(request, Response(status_code=204, headers={"HX-Redirect": url}))
    return finish(request, RedirectResponse(url, status_code=303))

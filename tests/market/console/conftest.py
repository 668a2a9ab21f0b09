"""Fixtures for the console: signed-in TestClients, and a real server with a real browser.

``console_login`` signs a user in through the sign-in form (CSRF token included), so every
test goes through the same cookies a browser gets. ``live_server`` runs the app with uvicorn
in a thread against a committed database (a browser is another client: it must see committed
rows); ``page`` drives Debian's Chromium through Playwright. Without ``/usr/bin/chromium`` the
browser tests skip, unless ``CI`` is set: then they fail, so CI cannot pass without them.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from market.console.csrf import CSRF_COOKIE
from tests.fixtures.factories import PASSWORD
from tests.fixtures.settings import apply_settings

CHROMIUM = Path(os.environ.get("SLUICE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def csrf_token(client: TestClient) -> str:
    """The token a form on the last page carried (the cookie's value, set on first render)."""
    if CSRF_COOKIE not in client.cookies:
        client.get("/console/login")
    return client.cookies[CSRF_COOKIE]


def console_login(client: TestClient, user: User, password: str = PASSWORD) -> TestClient:
    """Sign ``user`` in through the form; the client then carries the session cookies."""
    response = client.post(
        "/console/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def post_form(
    client: TestClient, url: str, data: dict[str, str], *, follow_redirects: bool = False
) -> httpx.Response:
    """A form post as the page's own form sends it: with the CSRF field."""
    return client.post(
        url, data={**data, "csrf_token": csrf_token(client)}, follow_redirects=follow_redirects
    )


SignIn = Callable[[User], TestClient]


@pytest.fixture
def signed_in(client: TestClient, session: Session) -> SignIn:
    """``signed_in(user)`` commits the arranged rows and returns the signed-in client."""

    def sign_in(user: User) -> TestClient:
        session.commit()
        return console_login(client, user)

    return sign_in


# --- a real server and a real browser -------------------------------------------------------


@pytest.fixture
def live_settings(
    settings: Settings, committed_database: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The test's settings, pointed at the committed database the server will use."""
    return apply_settings(monkeypatch, database_url=committed_database)


@pytest.fixture
def live_server(live_settings: Settings, app: FastAPI) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # Listening before the server runs: the browser's first connections wait in the backlog
    # until uvicorn accepts them, so nothing has to poll for "started".
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {CHROMIUM} is missing")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save the journey's final state for the README (docs/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

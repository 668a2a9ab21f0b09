"""Signing in and out of the console, and what guards its forms."""

from __future__ import annotations

from fastapi import Response
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from accounts import service as accounts
from accounts.models import User
from audit.models import AuditRecord
from ground.config import Environment, Settings
from market.console.session import ACCESS_COOKIE, REFRESH_COOKIE, set_session_cookies
from tests.fixtures.factories import PASSWORD
from tests.fixtures.settings import TEST_SECRETS_KEY
from tests.market.console.conftest import SignIn, csrf_token, post_form


def _logins(session: Session, user: User) -> list[AuditRecord]:
    stmt = select(AuditRecord).where(
        AuditRecord.action == "auth.login", col(AuditRecord.actor_user_id) == user.id
    )
    return list(session.exec(stmt).all())


def _set_cookie_headers(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined]


def test_signing_in_keeps_the_api_tokens_in_httponly_lax_cookies_and_audits_it(
    client: TestClient, session: Session, provider: User
) -> None:
    session.commit()
    response = post_form(client, "/console/login", {"email": provider.email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    cookies = {h.split("=", 1)[0]: h for h in _set_cookie_headers(response)}
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        assert "HttpOnly" in cookies[name]
        assert "SameSite=lax" in cookies[name]
        assert "Path=/console" in cookies[name]
        assert "Secure" not in cookies[name]  # plain HTTP outside production
    assert len(_logins(session, provider)) == 1
    home = client.get("/console")
    assert home.status_code == 200
    assert provider.email in home.text


def test_session_cookies_are_secure_in_production(provider: User) -> None:
    production = Settings(
        environment=Environment.production,
        jwt_secret="p" * 40,
        secrets_key=TEST_SECRETS_KEY,
        database_url="postgresql+psycopg://nobody@127.0.0.1/none",
    )
    response = Response()
    set_session_cookies(response, accounts.issue_tokens(provider, production), production)
    assert all("Secure" in h for h in response.headers.getlist("set-cookie"))


def test_a_wrong_password_shows_the_form_again_with_a_bilingual_error(
    client: TestClient, session: Session, provider: User
) -> None:
    session.commit()
    response = post_form(client, "/console/login", {"email": provider.email, "password": "nope"})
    assert response.status_code == 401
    assert "邮箱或密码错误" in response.text
    assert ACCESS_COOKIE not in client.cookies
    assert _logins(session, provider) == []
    client.cookies.set("lang", "en")
    english = post_form(client, "/console/login", {"email": provider.email, "password": "no"})
    assert "Incorrect e-mail or password." in english.text


def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, session: Session, provider: User
) -> None:
    session.commit()
    csrf_token(client)  # the cookie is there; the field is not
    response = client.post("/console/login", data={"email": provider.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "表单已过期或并非由本站提交" in response.text
    assert ACCESS_COOKIE not in client.cookies
    assert _logins(session, provider) == []


def test_a_token_from_another_browser_is_refused(
    client: TestClient, session: Session, provider: User
) -> None:
    session.commit()
    csrf_token(client)
    response = client.post(
        "/console/login",
        data={"email": provider.email, "password": PASSWORD, "csrf_token": "forged-token"},
    )
    assert response.status_code == 403


def test_htmx_posts_may_send_the_token_in_a_header(
    client: TestClient, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    response = client.post(
        "/console/logout", headers={"X-CSRF-Token": csrf_token(client), "HX-Request": "true"}
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/console/login"


def test_pages_send_anonymous_visitors_to_sign_in_and_back(
    client: TestClient, session: Session, provider: User
) -> None:
    response = client.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/console"
    session.commit()
    signed_in = post_form(
        client,
        "/console/login",
        {"email": provider.email, "password": PASSWORD, "next": "/console?from=login"},
    )
    assert signed_in.headers["location"] == "/console?from=login"


def test_next_never_leads_off_the_console(
    client: TestClient, session: Session, provider: User
) -> None:
    session.commit()
    for target in ("https://evil.example/console", "//evil.example/console", "/api/v1/me"):
        client.cookies.clear()
        response = post_form(
            client,
            "/console/login",
            {"email": provider.email, "password": PASSWORD, "next": target},
        )
        assert response.headers["location"] == "/console", target


def test_signing_out_clears_the_session(
    client: TestClient, session: Session, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    response = post_form(client, "/console/logout", {})
    assert response.status_code == 303
    assert all("Max-Age=0" in h for h in _set_cookie_headers(response) if "sluice_" in h[:14])
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_an_expired_access_token_is_renewed_from_the_refresh_cookie(
    client: TestClient, session: Session, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    jar = next(c for c in client.cookies.jar if c.name == ACCESS_COOKIE)
    client.cookies.set(ACCESS_COOKIE, "expired-or-garbage", domain=jar.domain, path=jar.path)
    response = client.get("/console")
    assert response.status_code == 200
    renewed = [h for h in _set_cookie_headers(response) if h.startswith(ACCESS_COOKIE + "=")]
    assert renewed
    assert "expired-or-garbage" not in renewed[0]


def test_a_deactivated_user_loses_the_session_at_once(
    client: TestClient, session: Session, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    provider.is_active = False
    session.add(provider)
    session.commit()
    response = client.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


def test_the_site_root_leads_to_the_console(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/console"

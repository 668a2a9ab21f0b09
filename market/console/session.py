"""Console sessions on top of the API's own authentication.

Signing in checks the password with ``accounts.service.authenticate`` (which writes the same
``auth.login`` audit record as ``POST /auth/token``) and stores the very token pair the API
issues in two HttpOnly, SameSite=Lax cookies (Secure in production). Each request resolves the
user from the access cookie with ``accounts.service.principal_from_token``, the function behind
the bearer dependency, and checks roles with ``accounts.dependencies.check_role``: the console
grants exactly what the API grants. An expired access token is renewed from the refresh cookie
(``accounts.service.refresh``, which re-checks the user is still active), so a session lasts as
long as the refresh token, not the 15-minute access token.

Logging out clears the cookies. Tokens are stateless JWTs, so a copied token stays valid until
it expires, exactly as with the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlmodel import Session

from accounts import service as accounts
from accounts.dependencies import check_role
from accounts.models import Role
from accounts.principal import Principal
from accounts.schemas import TokenPair
from ground.config import Environment, Settings
from ground.dependencies import SessionDep, SettingsDep
from ground.errors import NotAuthenticated
from ground.ops.logs import get_logger
from ground.ops.scope import note_principal

log = get_logger(__name__)

ACCESS_COOKIE = "sluice_access"
REFRESH_COOKIE = "sluice_refresh"
COOKIE_PATH = "/console"
_RENEWED = "console_renewed_tokens"


class LoginRequired(NotAuthenticated):
    """No valid session: the console answers with a redirect to the sign-in page."""

    def __init__(self) -> None:
        super().__init__("Please sign in.", "请先登录。")


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in person as pages show them; ``principal`` is what services receive."""

    principal: Principal
    email: str
    full_name: str
    org_name: str

    @property
    def role(self) -> Role:
        return self.principal.role


def set_session_cookies(response: Response, tokens: TokenPair, settings: Settings) -> None:
    secure = settings.environment is Environment.production
    for name, value, max_age in (
        (ACCESS_COOKIE, tokens.access_token, tokens.expires_in),
        (REFRESH_COOKIE, tokens.refresh_token, settings.refresh_token_days * 86_400),
    ):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=secure,
        )


def clear_session_cookies(response: Response) -> None:
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="lax")


def apply_renewed_tokens(request: Request, response: Response, settings: Settings) -> None:
    """Hand a token pair renewed during this request to the browser (called by ``render``)."""
    tokens: TokenPair | None = getattr(request.state, _RENEWED, None)
    if tokens is not None:
        set_session_cookies(response, tokens, settings)


def principal_from_cookies(
    request: Request, session: Session, settings: Settings
) -> Principal | None:
    """The signed-in person from the session cookies (renewed from the refresh cookie when the
    access token has expired); ``None`` when there is no valid session."""
    access = request.cookies.get(ACCESS_COOKIE)
    if access:
        try:
            return accounts.principal_from_token(session, access, settings)
        except NotAuthenticated:
            # Expired or invalid: try the refresh token below.
            log.debug("console access token rejected; trying the refresh token")
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        return None
    try:
        tokens = accounts.refresh(session, refresh, settings)
    except NotAuthenticated:
        log.debug("console refresh token rejected; signed out")
        return None
    setattr(request.state, _RENEWED, tokens)
    return accounts.principal_from_token(session, tokens.access_token, settings)


def optional_user(
    request: Request, session: SessionDep, settings: SettingsDep
) -> ConsoleUser | None:
    principal = principal_from_cookies(request, session, settings)
    if principal is None:
        return None
    note_principal(request, principal.user_id)
    user = accounts.get_user(session, principal.user_id)
    org = accounts.get_organization(session, principal.org_id)
    return ConsoleUser(
        principal=principal, email=user.email, full_name=user.full_name, org_name=org.name
    )


OptionalUser = Annotated[ConsoleUser | None, Depends(optional_user)]


def signed_in_user(user: OptionalUser) -> ConsoleUser:
    if user is None:
        raise LoginRequired()
    return user


CurrentUser = Annotated[ConsoleUser, Depends(signed_in_user)]


def require_roles(*roles: Role) -> object:
    """A dependency admitting only ``roles``, with the API's check and bilingual 403."""

    def check(user: CurrentUser) -> ConsoleUser:
        check_role(user.principal, roles)
        return user

    return Depends(check)


ProviderUser = Annotated[ConsoleUser, require_roles(Role.provider)]
BuyerUser = Annotated[ConsoleUser, require_roles(Role.buyer)]
ComplianceUser = Annotated[ConsoleUser, require_roles(Role.compliance)]
AdminUser = Annotated[ConsoleUser, require_roles(Role.admin)]
StaffUser = Annotated[ConsoleUser, require_roles(Role.compliance, Role.admin)]

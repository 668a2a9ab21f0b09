"""Authentication dependencies: bearer tokens for people, API keys for the data API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param

from accounts import service
from accounts.models import Role
from accounts.principal import Principal
from ground.config import get_settings
from ground.db import release_after_reads, unit_of_work
from ground.dependencies import SessionDep, SettingsDep
from ground.errors import Forbidden, NotAuthenticated
from ground.ops.scope import note_principal
from ground.upload_route import Admission, Gate

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


def current_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    if not token:
        raise NotAuthenticated(
            "Sign in first: send 'Authorization: Bearer <token>'.",
            "请先登录：请求需携带 Authorization: Bearer <令牌>。",
        )
    principal = service.principal_from_token(session, token, settings)
    # A read alone: the connection goes back to the pool while the request waits for the
    # endpoint's worker thread (see ``ground.db.release_after_reads``).
    release_after_reads(session)
    note_principal(request, principal.user_id)
    return principal


def api_key_principal(
    request: Request, session: SessionDep, api_key: Annotated[str | None, Depends(api_key_scheme)]
) -> Principal:
    """The data API's caller: one read (``accounts.service.principal_from_api_key``), no write
    and no lock, and no connection kept once it returns."""
    if not api_key:
        raise NotAuthenticated(
            "The data API needs an API key in the X-API-Key header.",
            "数据接口需要在 X-API-Key 请求头中提供 API 密钥。",
        )
    principal = service.principal_from_api_key(session, api_key)
    # Read-only by design (the key's last use is written by the endpoint): the connection
    # goes back to the pool while the request waits for the endpoint's worker thread.
    release_after_reads(session)
    note_principal(request, principal.user_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def check_role(principal: Principal, roles: tuple[Role, ...]) -> Principal:
    """The one role gate, shared by the API's bearer dependencies and the web console's."""
    if principal.role not in roles:
        allowed = ", ".join(roles)
        raise Forbidden(
            f"This action needs the role {allowed}; you are signed in as {principal.role}.",
            f"此操作需要角色 {allowed}，当前角色为 {principal.role}。",
        )
    return principal


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: CurrentPrincipal) -> Principal:
        return check_role(principal, roles)

    return check


def bearer_upload_gate(*roles: Role) -> Gate:
    """The gate of an API upload (``ground.upload_route``): the bearer token and the role,
    checked from the headers before a byte of the body is read, with the same functions (and
    so the same 401 and 403) as ``CurrentPrincipal`` and ``require_roles``."""

    def gate(request: Request) -> Admission:
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        with unit_of_work() as session:
            principal = current_principal(
                request, session, get_settings(), token if scheme.lower() == "bearer" else None
            )
        check_role(principal, roles)
        return Admission()

    return gate


ProviderPrincipal = Annotated[Principal, Depends(require_roles(Role.provider))]
BuyerPrincipal = Annotated[Principal, Depends(require_roles(Role.buyer))]
CompliancePrincipal = Annotated[Principal, Depends(require_roles(Role.compliance))]
AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
ApiKeyPrincipal = Annotated[Principal, Depends(api_key_principal)]
ProviderOrStaffPrincipal = Annotated[
    Principal, Depends(require_roles(Role.provider, Role.compliance, Role.admin))
]

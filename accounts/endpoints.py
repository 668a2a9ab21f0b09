"""Sign-in, the current user, organizations, users and API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from accounts import service
from accounts.dependencies import AdminPrincipal, BuyerPrincipal, CurrentPrincipal
from accounts.models import Role
from accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    MeRead,
    OrganizationCreate,
    OrganizationRead,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserRead,
    UserStatusChange,
)
from ground.dependencies import SessionDep, SettingsDep, client_address
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.openapi import error_responses
from ground.pagination import Page, PageDep

router = APIRouter(tags=["accounts"], route_class=IdempotentRoute)


@router.post("/auth/token", response_model=TokenPair, responses=error_responses(401, 429))
def sign_in(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenPair:
    """Exchange an e-mail (as `username`) and password for an access and a refresh token.

    Failed attempts are throttled per account and per client address: past the limit
    (`SLUICE_LOGIN_MAX_FAILURES_PER_ACCOUNT` / `_PER_CLIENT` within
    `SLUICE_LOGIN_FAILURE_WINDOW_MINUTES`), 429 with `Retry-After`, right password or not."""
    user = service.authenticate(
        session, form.username, form.password, client=client_address(request), settings=settings
    )
    return service.issue_tokens(user, settings)


@router.post("/auth/refresh", response_model=TokenPair, responses=error_responses(401))
def refresh_tokens(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Exchange a refresh token for a new pair; the user must still be active."""
    return service.refresh(session, body.refresh_token, settings)


@router.get("/me", response_model=MeRead)
def me(principal: CurrentPrincipal, session: SessionDep) -> MeRead:
    """The signed-in user and their organization."""
    user = service.get_user(session, principal.user_id)
    org = service.get_organization(session, principal.org_id)
    return MeRead.model_validate(
        {**user.model_dump(), "organization": OrganizationRead.model_validate(org.model_dump())}
    )


@router.get("/organizations", response_model=Page[OrganizationRead])
def list_organizations(
    _admin: AdminPrincipal, session: SessionDep, page: PageDep
) -> Page[OrganizationRead]:
    """All organizations (administrators only)."""
    rows, total = service.list_organizations(session, limit=page.limit, offset=page.offset)
    items = [OrganizationRead.model_validate(r.model_dump()) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/organizations", response_model=OrganizationRead, status_code=status.HTTP_201_CREATED)
def create_organization(
    body: OrganizationCreate, admin: AdminPrincipal, _: IdempotentWrite, session: SessionDep
) -> OrganizationRead:
    """Register an organization (administrators only)."""
    org = service.create_organization(session, name=body.name, kind=body.kind, actor=admin)
    return OrganizationRead.model_validate(org.model_dump())


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(
    body: UserCreate, admin: AdminPrincipal, _: IdempotentWrite, session: SessionDep
) -> UserRead:
    """Create a user in an organization (administrators only)."""
    user = service.create_user(session, **body.model_dump(), actor=admin)
    return UserRead.model_validate(user.model_dump())


@router.get("/users", response_model=Page[UserRead])
def list_users(
    _admin: AdminPrincipal,
    session: SessionDep,
    page: PageDep,
    organization_id: Annotated[uuid.UUID | None, Query()] = None,
    role: Annotated[Role | None, Query()] = None,
    is_active: Annotated[bool | None, Query()] = None,
) -> Page[UserRead]:
    """Users, by e-mail, filtered by organization, role and whether active (administrators)."""
    rows, total = service.list_users(
        session,
        organization_id=organization_id,
        role=role,
        is_active=is_active,
        limit=page.limit,
        offset=page.offset,
    )
    items = [UserRead.model_validate(u.model_dump()) for u in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/users/{user_id}/deactivate", response_model=UserRead)
def deactivate_user(
    user_id: uuid.UUID, body: UserStatusChange, admin: AdminPrincipal, session: SessionDep
) -> UserRead:
    """Deactivate a user: their tokens, console session and API keys stop working at once, and
    they cannot sign in. Audited; repeating it changes nothing. 409 for your own account."""
    user = service.set_user_active(session, admin, user_id, active=False, reason=body.reason)
    return UserRead.model_validate(user.model_dump())


@router.post("/users/{user_id}/reactivate", response_model=UserRead)
def reactivate_user(
    user_id: uuid.UUID, body: UserStatusChange, admin: AdminPrincipal, session: SessionDep
) -> UserRead:
    """Let a deactivated user sign in again (their old API keys work again unless revoked)."""
    user = service.set_user_active(session, admin, user_id, active=True, reason=body.reason)
    return UserRead.model_validate(user.model_dump())


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(
    body: ApiKeyCreate, principal: BuyerPrincipal, _: IdempotentWrite, session: SessionDep
) -> ApiKeyCreated:
    """Create an API key for the data API. The secret is in this response and nowhere else."""
    key, secret = service.create_api_key(session, principal, body.name)
    return ApiKeyCreated.model_validate({**key.model_dump(), "secret": secret})


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(principal: BuyerPrincipal, session: SessionDep) -> list[ApiKeyRead]:
    """Your organization's API keys, newest first (secrets are never shown again)."""
    return [
        ApiKeyRead.model_validate(k.model_dump()) for k in service.list_api_keys(session, principal)
    ]


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: uuid.UUID, principal: BuyerPrincipal, session: SessionDep) -> Response:
    """Revoke a key at once; calls made with it afterwards get 401."""
    service.revoke_api_key(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

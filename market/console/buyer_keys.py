"""The buyer's API keys: create (the secret shown exactly once), list, revoke.

The same service as ``POST/GET/DELETE /api-keys``: only a digest of a secret is stored. Creating
a key redirects (post-redirect-get, so a reload mints nothing) to the list, which shows the
secret once from a one-time flash (``market.console.flash``) and marks that answer ``no-store``
so no cache keeps it; reloading shows the list without it. Revoking asks for confirmation on
a page of its own, which works from the keyboard and without JavaScript.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role
from accounts.schemas import ApiKeyCreate, ApiKeyRead
from ground.dependencies import SessionDep
from ground.errors import NotFound
from ground.idempotency.route import ConsoleIdempotentRoute, IdempotentWrite
from market.console import flash
from market.console.forms import validate_form
from market.console.nav import NavItem
from market.console.session import BuyerUser, ConsoleUser
from market.console.templating import redirect, render

router = APIRouter(prefix="/api-keys", route_class=ConsoleIdempotentRoute)
NAV = (NavItem("buyer.nav.keys", "/console/api-keys", frozenset({Role.buyer})),)
DONE = frozenset({"revoked"})
NO_STORE = {"Cache-Control": "no-store"}


def _keys(session: Session, user: ConsoleUser) -> list[ApiKeyRead]:
    return [
        ApiKeyRead.model_validate(k.model_dump())
        for k in accounts.list_api_keys(session, user.principal)
    ]


def _page(
    request: Request,
    session: Session,
    user: ConsoleUser,
    *,
    created: dict[str, str] | None = None,
    done: str = "",
) -> Response:
    return render(
        request,
        "buyer/api_keys.html",
        user,
        {"keys": _keys(session, user), "created": created, "done": done if done in DONE else ""},
        headers=NO_STORE if created else None,
    )


@router.get("")
def api_keys(
    request: Request,
    user: BuyerUser,
    session: SessionDep,
    done: str = "",
    created: uuid.UUID | None = None,
) -> Response:
    """The organization's keys (prefix, created, last used, revoked) and a form for a new one;
    after creating a key, its secret, this once."""
    shown = None if created is None else flash.take(session, user.principal.user_id, created)
    return _page(request, session, user, created=shown, done=done)


@router.post("")
def create_key(
    request: Request,
    user: BuyerUser,
    _: IdempotentWrite,
    session: SessionDep,
    name: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Create a key (``POST /api-keys``); the page it redirects to shows its secret once."""
    body = validate_form(ApiKeyCreate, {"name": name.strip()})
    key, secret = accounts.create_api_key(session, user.principal, body.name)
    created = {"name": key.name, "prefix": key.prefix, "secret": secret}
    flash_id = flash.put(session, user.principal.user_id, created)
    return redirect(request, f"/console/api-keys?created={flash_id}")


def _own_key(session: Session, user: ConsoleUser, key_id: uuid.UUID) -> ApiKeyRead:
    for key in _keys(session, user):
        if key.id == key_id:
            return key
    raise NotFound("API key not found.", "API 密钥不存在。")


@router.get("/{key_id}/revoke")
def confirm_revoke(
    request: Request, key_id: uuid.UUID, user: BuyerUser, session: SessionDep
) -> Response:
    """Ask before revoking: programs using the key stop working at once."""
    return render(request, "buyer/revoke_key.html", user, {"key": _own_key(session, user, key_id)})


@router.post("/{key_id}/revoke")
def revoke_key(
    request: Request, key_id: uuid.UUID, user: BuyerUser, session: SessionDep
) -> Response:
    """Revoke (``DELETE /api-keys/{id}``); calls made with the key afterwards get 401."""
    accounts.revoke_api_key(session, user.principal, key_id)
    return redirect(request, "/console/api-keys?done=revoked")

"""Accounts: sign-in, tokens, organizations, users and API keys.

Services only flush; the caller's unit of work commits. Each change publishes an event
(``accounts.events``) that the audit log records in the same transaction; accounts sits below
audit, so it never calls it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import jwt
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from accounts import events, security
from accounts.models import ApiKey, Organization, OrgKind, Role, User
from accounts.principal import Principal
from accounts.repository import AccountRepository
from accounts.schemas import TokenPair
from accounts.throttle import LoginThrottle
from ground.config import Settings
from ground.db import on_rollback, utcnow
from ground.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from ground.events import publish

_BAD_LOGIN = NotAuthenticated("Incorrect e-mail or password.", "邮箱或密码错误。")
_BAD_TOKEN = NotAuthenticated(
    "The access token is missing, expired or invalid; sign in again.",
    "访问令牌缺失、已过期或无效，请重新登录。",
)


def authenticate(
    session: Session, email: str, password: str, *, client: str, settings: Settings
) -> User:
    """The user whose password this is, or ``NotAuthenticated``; throttled per account and per
    ``client`` address (``TooManyAttempts``, 429, checked before the password)."""
    throttle = LoginThrottle(settings, email, client)
    throttle.check()
    user = AccountRepository(session).user_by_email(email)
    if user is None:
        security.verify_password(password, security.DUMMY_PASSWORD_HASH)
        throttle.failed()
        raise _BAD_LOGIN
    if not security.verify_password(password, user.password_hash) or not user.is_active:
        throttle.failed()
        raise _BAD_LOGIN
    throttle.succeeded()
    publish(session, events.SignedIn(_principal(user)))
    return user


def _principal(user: User) -> Principal:
    return Principal(user_id=user.id, org_id=user.organization_id, role=Role(user.role))


def issue_tokens(user: User, settings: Settings) -> TokenPair:
    access = timedelta(minutes=settings.access_token_minutes)

    def token(token_type: security.TokenType, lifetime: timedelta) -> str:
        return security.create_token(
            key=settings.jwt_key(),
            user_id=user.id,
            org_id=user.organization_id,
            role=user.role,
            token_type=token_type,
            lifetime=lifetime,
        )

    return TokenPair(
        access_token=token("access", access),
        expires_in=int(access.total_seconds()),
        refresh_token=token("refresh", timedelta(days=settings.refresh_token_days)),
    )


def _active_user(session: Session, claims: security.TokenClaims) -> User:
    user = AccountRepository(session).user(claims.user_id)
    # The database, not the token, is the authority on role and organization: a user moved or
    # deactivated since the token was issued loses access at once.
    if user is None or not user.is_active or user.organization_id != claims.org_id:
        raise _BAD_TOKEN
    return user


def refresh(session: Session, refresh_token: str, settings: Settings) -> TokenPair:
    try:
        claims = security.decode_token(
            refresh_token, key=settings.jwt_key(), expected_type="refresh"
        )
    except jwt.InvalidTokenError as exc:
        raise _BAD_TOKEN from exc
    return issue_tokens(_active_user(session, claims), settings)


def principal_from_token(session: Session, token: str, settings: Settings) -> Principal:
    try:
        claims = security.decode_token(token, key=settings.jwt_key(), expected_type="access")
    except jwt.InvalidTokenError as exc:
        raise _BAD_TOKEN from exc
    return _principal(_active_user(session, claims))


def principal_from_api_key(session: Session, secret: str) -> Principal:
    """Who holds this key: one SELECT of the key joined with its owner, and no write.

    The lookup runs in the API-key dependency, which FastAPI calls in a worker thread of its
    own, before and apart from the endpoint's: a write here would hold the key's row lock (on
    SQLite, the database's write lock) while the request waits for another worker thread, and
    enough concurrent calls on one key then hang the server (each thread waiting for the lock,
    the lock's holder waiting for a thread). ``last_used_at`` is written by
    ``note_api_key_use``, from the endpoint's unit of work.
    """
    holder = AccountRepository(session).key_holder(security.digest_api_key(secret))
    if holder is None or holder.revoked:
        raise NotAuthenticated(
            "The API key is unknown or has been revoked.", "API 密钥不存在或已被吊销。"
        )
    if not holder.user_active:
        raise NotAuthenticated("The API key's owner is inactive.", "API 密钥的所有者已停用。")
    return Principal(
        user_id=holder.user_id,
        org_id=holder.org_id,
        role=Role(holder.role),
        via="api_key",
        api_key_id=holder.key_id,
    )


class KeyUseMemo:
    """When this process last wrote each API key's ``last_used_at`` (a monotonic clock), so it
    writes it at most once per key per interval. Bounded: entries older than the interval are
    dropped once it holds ``max_keys``. Thread-safe: of concurrent calls on one key, one
    claims the write."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        self._clock = clock
        self._max_keys = max_keys
        self._written: dict[uuid.UUID, float] = {}
        self._lock = threading.Lock()

    def claim(self, key_id: uuid.UUID, interval_seconds: float) -> bool:
        """Whether this call should write the key's last use (and it is now noted)."""
        with self._lock:
            now = self._clock()
            last = self._written.get(key_id)
            if last is not None and now - last < interval_seconds:
                return False
            self._written[key_id] = now
            if len(self._written) > self._max_keys:
                self._written = {
                    k: t for k, t in self._written.items() if now - t < interval_seconds
                }
            return True

    def __len__(self) -> int:
        return len(self._written)

    def forget(self, key_id: uuid.UUID) -> None:
        """The write was rolled back: the next call writes it again."""
        with self._lock:
            self._written.pop(key_id, None)


key_use_memo = KeyUseMemo()


def note_api_key_use(
    session: Session, principal: Principal, *, interval_seconds: int, now: datetime | None = None
) -> None:
    """Record that the principal's API key was used, at most once per ``interval_seconds`` per
    key and per process, in the caller's unit of work (the endpoint's, so the key's row lock
    lasts from this UPDATE to its commit on the same thread).

    Guarantee: ``last_used_at`` is set on a key's first use and is never more than the
    interval (plus the duration of one call) behind its latest use served by a process that
    committed. Several processes may each write it once per interval; the UPDATE is
    conditional, so one that finds a newer value within the interval changes nothing. A
    rolled-back write is forgotten by the memo, so the next call tries again.
    """
    key_id = principal.api_key_id
    if key_id is None or not key_use_memo.claim(key_id, interval_seconds):
        return
    now = now or utcnow()
    AccountRepository(session).mark_key_used(
        key_id, now, unless_since=now - timedelta(seconds=interval_seconds)
    )
    on_rollback(session, partial(key_use_memo.forget, key_id))


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = AccountRepository(session).user(user_id)
    if user is None:
        raise NotFound("User not found.", "用户不存在。")
    return user


def list_organizations(
    session: Session, *, limit: int, offset: int
) -> tuple[list[Organization], int]:
    return AccountRepository(session).organizations(limit=limit, offset=offset)


def get_organization(session: Session, org_id: uuid.UUID) -> Organization:
    org = AccountRepository(session).organization(org_id)
    if org is None:
        raise NotFound("Organization not found.", "机构不存在。")
    return org


def create_organization(
    session: Session, *, name: str, kind: OrgKind, actor: Principal | None = None
) -> Organization:
    repo = AccountRepository(session)
    if repo.organization_by_name(name) is not None:
        raise Conflict(f"An organization named {name!r} exists.", f"机构“{name}”已存在。")
    org = Organization(name=name, kind=kind)
    repo.add(org)
    publish(session, events.OrganizationCreated(actor, org.id, name, kind))
    return org


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    organization_id: uuid.UUID,
    full_name: str = "",
    actor: Principal | None = None,
) -> User:
    repo = AccountRepository(session)
    org = get_organization(session, organization_id)
    _check_role_fits_org(role, OrgKind(org.kind))
    if repo.user_by_email(email) is not None:
        raise Conflict(f"A user with e-mail {email} exists.", f"邮箱 {email} 已被注册。")
    user = User(
        email=email.lower(),
        password_hash=security.hash_password(password),
        role=role,
        organization_id=organization_id,
        full_name=full_name,
    )
    try:
        with session.begin_nested():
            repo.add(user)
    except IntegrityError as exc:  # a concurrent sign-up with the same e-mail
        raise Conflict(f"A user with e-mail {email} exists.", f"邮箱 {email} 已被注册。") from exc
    publish(session, events.UserCreated(actor, user.id, user.email, role, org.id))
    return user


def list_users(
    session: Session,
    *,
    organization_id: uuid.UUID | None,
    role: Role | None,
    is_active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[User], int]:
    return AccountRepository(session).users(
        organization_id=organization_id,
        role=str(role) if role else None,
        is_active=is_active,
        limit=limit,
        offset=offset,
    )


def set_user_active(
    session: Session, admin: Principal, user_id: uuid.UUID, *, active: bool, reason: str
) -> User:
    """Deactivate or reactivate a user (administrators). A deactivated user's tokens, console
    session and API keys stop working at their next use (each is checked against the database),
    and signing in fails as for a wrong password. Admins cannot deactivate themselves, so the
    platform cannot lose its last way in by a slip. Idempotent; each change is audited."""
    if user_id == admin.user_id and not active:
        raise Conflict("You cannot deactivate your own account.", "不能停用自己的账户。")
    user = AccountRepository(session).user_for_update(user_id)
    if user is None:
        raise NotFound("User not found.", "用户不存在。")
    if user.is_active != active:
        user.is_active = active
        AccountRepository(session).add(user)
        publish(session, events.UserActivationChanged(admin, user.id, user.email, active, reason))
    return user


def _check_role_fits_org(role: Role, kind: OrgKind) -> None:
    # Compliance staff and administrators belong to the platform operator; market participants
    # (providers, buyers) never do, so nobody reviews their own organization's listings.
    staff = role in (Role.compliance, Role.admin)
    if staff != (kind is OrgKind.platform):
        raise Forbidden(
            f"Role {role} cannot belong to a {kind} organization.",
            f"角色 {role} 不能属于 {kind} 类型的机构。",
        )


def create_api_key(session: Session, principal: Principal, name: str) -> tuple[ApiKey, str]:
    """Create a key, unless a subscriber to ``events.ApiKeyRequested`` refuses it (domains above
    accounts decide who may not get one: trade, a buyer under an emergency stop); the secret is
    returned once and only its digest is stored."""
    publish(session, events.ApiKeyRequested(principal))
    secret = security.new_api_key_secret()
    key = ApiKey(
        organization_id=principal.org_id,
        user_id=principal.user_id,
        name=name,
        prefix=secret[:12],
        key_hash=security.digest_api_key(secret),
    )
    AccountRepository(session).add(key)
    publish(session, events.ApiKeyCreated(principal, key.id, name, key.prefix))
    return key, secret


def list_api_keys(session: Session, principal: Principal) -> list[ApiKey]:
    return AccountRepository(session).api_keys_of(principal.org_id)


def revoke_api_key(session: Session, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    key = AccountRepository(session).api_key(key_id)
    # Another organization's key is reported as missing, not forbidden, so ids cannot be probed.
    if key is None or key.organization_id != principal.org_id:
        raise NotFound("API key not found.", "API 密钥不存在。")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
        publish(session, events.ApiKeyRevoked(principal, key.id))
    return key


def organization_names(session: Session, org_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names for a page of rows in one query, instead of one lookup per row."""
    return AccountRepository(session).organization_names(org_ids)

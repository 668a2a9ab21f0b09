"""Passwords, JWTs and API-key secrets.

Passwords use argon2 (pwdlib's recommended hasher). API-key secrets are 256-bit random
strings, so a plain SHA-256 digest is enough to store them: there is nothing to brute-force,
and an indexed digest lets a key be found in one lookup.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import jwt
from pwdlib import PasswordHash

from ground.db import utcnow

_password_hash = PasswordHash.recommended()
_ALGORITHM = "HS256"
API_KEY_PREFIX = "slk_"

TokenType = Literal["access", "refresh"]


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _password_hash.verify(password, password_hash)


# A real hash of a random password, verified when the e-mail is unknown so that a failed login
# takes the same time whether or not the account exists.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    org_id: uuid.UUID
    role: str
    token_type: TokenType
    jti: str
    expires_at: datetime


def create_token(
    *,
    key: str,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    role: str,
    token_type: TokenType,
    lifetime: timedelta,
) -> str:
    now = utcnow()
    payload = {
        "sub": str(user_id),
        "org": str(org_id),
        "role": role,
        "typ": token_type,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, key, algorithm=_ALGORITHM)


def decode_token(token: str, *, key: str, expected_type: TokenType) -> TokenClaims:
    """Verify signature, expiry and type; raises ``jwt.InvalidTokenError`` otherwise."""
    payload = jwt.decode(
        token,
        key,
        algorithms=[_ALGORITHM],
        options={"require": ["sub", "org", "role", "typ", "exp", "iat", "jti"]},
    )
    if payload["typ"] != expected_type:
        raise jwt.InvalidTokenError(f"expected a {expected_type} token")
    try:
        user_id, org_id = uuid.UUID(payload["sub"]), uuid.UUID(payload["org"])
    except ValueError as exc:
        raise jwt.InvalidTokenError("malformed subject") from exc
    return TokenClaims(
        user_id=user_id,
        org_id=org_id,
        role=str(payload["role"]),
        token_type=expected_type,
        jti=str(payload["jti"]),
        expires_at=datetime.fromtimestamp(int(payload["exp"]), tz=utcnow().tzinfo),
    )


def new_api_key_secret() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def digest_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

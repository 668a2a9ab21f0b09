"""Short-lived signed download links: a bulk file or a shared table's file is fetched by a URL
that carries its own authorization, so a client (the `delta-sharing` connector, a browser, curl)
needs no header, and a leaked link stops working on its own.

A link names a *purpose* (``export``, ``share``) and a *resource* (an opaque id of ours) and an
expiry; its signature is HMAC-SHA256 over the three under a key derived from the server's
signing secret for this use alone (so a JWT can never be replayed as a link, nor a link as a
JWT). Guarantees, checked by ``verify``:

- a link cannot be altered (another resource, another purpose, a later expiry) without the
  key: the signature is compared in constant time;
- a link is refused after its expiry, whatever its signature;
- a refusal never says which of the three checks failed (one message), so an outsider learns
  nothing by probing.

What a link does not do: it is a bearer token until it expires. Lifetimes are a setting
(``signed_url_seconds``), never what a client asks for.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from ground.errors import SluiceError

_LABEL = b"sluice signed download links v1"


class LinkRefused(SluiceError):
    """The link is malformed, altered or expired (one message for all three)."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "This download link is invalid or has expired; ask for a new one.",
            "下载链接无效或已过期，请重新获取。",
        )


@dataclass(frozen=True)
class SignedLink:
    """The query parameters of a signed link: ``?expires=<unix seconds>&signature=<hex>``."""

    expires: int
    signature: str


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()


def _mac(secret: str, purpose: str, resource: str, expires: int) -> str:
    message = f"{purpose}\n{resource}\n{expires}".encode()
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def sign(
    secret: str, *, purpose: str, resource: str, lifetime_seconds: int, now: float | None = None
) -> SignedLink:
    """A link to ``resource`` for ``purpose`` that expires ``lifetime_seconds`` from now."""
    expires = int(time.time() if now is None else now) + lifetime_seconds
    return SignedLink(expires, _mac(secret, purpose, resource, expires))


def verify(
    secret: str,
    *,
    purpose: str,
    resource: str,
    expires: int,
    signature: str,
    now: float | None = None,
) -> None:
    """Raise ``LinkRefused`` (403) unless the link was signed by us for exactly this purpose and
    resource and has not expired."""
    expected = _mac(secret, purpose, resource, expires)
    fresh = expires >= int(time.time() if now is None else now)
    if not (hmac.compare_digest(expected, signature.lower()) and fresh):
        raise LinkRefused()

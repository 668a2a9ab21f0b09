"""One-time messages a console POST leaves for the page it redirects to.

Post-redirect-get everywhere: a write answers with a redirect, so reloading the page it lands
on repeats nothing. What only that write can show (the secret of a new API key) is kept here,
server-side and sealed (``ground.secretbox``, bound to the row), for the signed-in user alone,
and deleted the first time the page reads it: a reload shows the page without it. The table
is ``market.console.models.ConsoleFlash`` (importable from here too, as the shell does); its
queries are in ``market.console.repository``.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlmodel import Session

from ground.config import get_settings
from ground.db import utcnow
from market.console.models import ConsoleFlash
from market.console.repository import FlashRepository

# Long enough to follow a redirect on a slow connection; a flash never read is then worthless.
TTL = timedelta(minutes=10)


def _context(flash_id: uuid.UUID) -> str:
    return f"console_flash:{flash_id}:payload"


def put(session: Session, user_id: uuid.UUID, payload: dict[str, str]) -> uuid.UUID:
    """Keep ``payload`` for ``user_id``'s next page; returns the id the redirect carries."""
    repo = FlashRepository(session)
    repo.drop_expired(user_id, utcnow())
    flash = ConsoleFlash(user_id=user_id, payload="", expires_at=utcnow() + TTL)
    flash.payload = get_settings().secrets_keyring.seal(
        json.dumps(payload).encode(), context=_context(flash.id)
    )
    repo.add(flash)
    return flash.id


def take(session: Session, user_id: uuid.UUID, flash_id: uuid.UUID) -> dict[str, str] | None:
    """The payload, once, and only to the user it was left for; ``None`` otherwise."""
    repo = FlashRepository(session)
    flash = repo.for_update(flash_id)
    if flash is None or flash.user_id != user_id:
        return None
    repo.remove(flash)
    if flash.expires_at <= utcnow():
        return None
    opened = get_settings().secrets_keyring.open(flash.payload, context=_context(flash.id))
    return dict(json.loads(opened))

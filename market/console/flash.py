"""One-time messages a console POST leaves for the page it redirects to.

Post-redirect-get everywhere: a write answers with a redirect, so reloading the page it lands
on repeats nothing. What only that write can show (the secret of a new API key) is kept here,
server-side and sealed (``ground.secretbox``, bound to the row), for the signed-in user alone,
and deleted the first time the page reads it: a reload shows the page without it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Column, Text, delete
from sqlmodel import Field, Session, SQLModel

from ground.config import get_settings
from ground.db import UTCDateTime, utcnow

# Long enough to follow a redirect on a slow connection; a flash never read is then worthless.
TTL = timedelta(minutes=10)


class ConsoleFlash(SQLModel, table=True):
    __tablename__ = "console_flash"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_type=UTCDateTime)


def _context(flash_id: uuid.UUID) -> str:
    return f"console_flash:{flash_id}:payload"


def put(session: Session, user_id: uuid.UUID, payload: dict[str, str]) -> uuid.UUID:
    """Keep ``payload`` for ``user_id``'s next page; returns the id the redirect carries."""
    session.execute(
        delete(ConsoleFlash).where(
            ConsoleFlash.user_id == user_id,  # type: ignore[arg-type]
            ConsoleFlash.expires_at <= utcnow(),  # type: ignore[arg-type]
        )
    )
    flash = ConsoleFlash(user_id=user_id, payload="", expires_at=utcnow() + TTL)
    flash.payload = get_settings().secrets_keyring.seal(
        json.dumps(payload).encode(), context=_context(flash.id)
    )
    session.add(flash)
    session.flush()
    return flash.id


def take(session: Session, user_id: uuid.UUID, flash_id: uuid.UUID) -> dict[str, str] | None:
    """The payload, once, and only to the user it was left for; ``None`` otherwise."""
    flash = session.get(ConsoleFlash, flash_id, with_for_update=True)
    if flash is None or flash.user_id != user_id:
        return None
    session.delete(flash)
    session.flush()
    if flash.expires_at <= utcnow():
        return None
    opened = get_settings().secrets_keyring.open(flash.payload, context=_context(flash.id))
    return dict(json.loads(opened))

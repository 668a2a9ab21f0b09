"""Queries on the console's own table (``console_flash``); every other row the console shows
is read through the owning domain's services."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from market.console.models import ConsoleFlash


class FlashRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def drop_expired(self, user_id: uuid.UUID, now: datetime) -> None:
        """Forget the user's flashes nobody read in time."""
        self.session.execute(
            delete(ConsoleFlash).where(
                col(ConsoleFlash.user_id) == user_id, col(ConsoleFlash.expires_at) <= now
            )
        )

    def add(self, flash: ConsoleFlash) -> None:
        self.session.add(flash)
        self.session.flush()

    def for_update(self, flash_id: uuid.UUID) -> ConsoleFlash | None:
        """The flash, locked: two tabs following the same redirect cannot both read it."""
        return self.session.get(ConsoleFlash, flash_id, with_for_update=True)

    def remove(self, flash: ConsoleFlash) -> None:
        self.session.delete(flash)
        self.session.flush()

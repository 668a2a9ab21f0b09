"""The console's own table: the one-time messages a write leaves for its redirect."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from ground.db import UTCDateTime


class ConsoleFlash(SQLModel, table=True):
    """A sealed payload for one user's next page (see ``market.console.flash``)."""

    __tablename__ = "console_flash"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_type=UTCDateTime)

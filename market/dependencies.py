"""Dependencies shared by every router: the database session and the settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from market.config import Settings, get_settings
from market.db import unit_of_work


def get_session() -> Iterator[Session]:
    """One unit of work per request: commit on success, then send the queued tasks."""
    with unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

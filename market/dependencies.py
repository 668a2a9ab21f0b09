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


# scope="function": the unit of work commits before the response is sent, not after (FastAPI's
# default for dependencies with yield), so a client that follows a redirect or reads what it
# just wrote at once never finds the row missing, and a failed commit is an error response
# instead of a success that did not happen.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]

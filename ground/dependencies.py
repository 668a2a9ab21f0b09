"""Dependencies shared by every router: the database session and the settings."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from ground.config import Settings, get_settings
from ground.db import Checkpoint, commit_so_far, unit_of_work


def get_session() -> Iterator[Session]:
    """One unit of work per request: commit on success, then send the queued tasks."""
    with unit_of_work() as session:
        yield session


# scope="function": the unit of work commits when the endpoint returns, *before* the response
# is sent. With FastAPI's default ("request") the commit would run after the client already
# has its answer: a client could read before the write is visible (a browser following a
# redirect does), and a failed commit would follow a success response.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_checkpoint(session: SessionDep) -> Checkpoint:
    """The request's unit of work lets the endpoint hand a service a checkpoint: calling it
    commits the request's work so far (``ground.db.commit_so_far``) and the request goes on in
    a new unit of work. Only for a service that needs a durable point mid-request (the
    sandbox's ε reservation before any data is read); services never commit themselves."""
    return partial(commit_so_far, session)


CheckpointDep = Annotated[Checkpoint, Depends(get_checkpoint, scope="function")]


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run uvicorn with
    ``--proxy-headers`` so it is the real client, not the proxy)."""
    return request.client.host if request.client else "unknown"

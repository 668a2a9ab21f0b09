"""Dependencies shared by every router: the database session and the settings; and the route
class that commits the request's unit of work on the endpoint's own worker thread."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.utils import get_typed_signature
from fastapi.routing import APIRoute
from sqlmodel import Session

from ground.config import Settings, get_settings
from ground.db import Checkpoint, commit_so_far, roll_back_so_far, unit_of_work

# Where the request's session is kept for ``UnitOfWorkRoute`` (the ASGI scope of the request).
SESSION_SCOPE_KEY = "sluice.session"
# The request parameter ``UnitOfWorkRoute`` adds to a sync endpoint's signature (a name no
# endpoint uses, so FastAPI injects the Request there and nowhere else).
_REQUEST_PARAM = "sluice_unit_of_work_request"


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit on success, then send the queued tasks.

    On a ``UnitOfWorkRoute`` the endpoint's own worker thread has already committed (or rolled
    back) by the time this exits, so the exit has nothing left to commit; elsewhere the exit
    commits, as FastAPI's dependencies with ``yield`` do."""
    with unit_of_work() as session:
        request.scope[SESSION_SCOPE_KEY] = session
        try:
            yield session
        finally:
            request.scope.pop(SESSION_SCOPE_KEY, None)


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


class UnitOfWorkRoute(APIRoute):
    """A route whose sync endpoint commits the request's unit of work on its own thread.

    Why: FastAPI runs each sync dependency, the sync endpoint and the exit of a sync ``yield``
    dependency in *separate* calls to its worker-thread pool (40 threads by default;
    fastapi/fastapi#3205, #12066). A unit of work committed by the session dependency's exit
    holds every row lock the endpoint took (on SQLite, the database's write lock) while it
    waits for a free thread to commit; when the threads are all busy waiting for those locks,
    the server hangs for good. Here the endpoint's thread commits as soon as the endpoint
    returns (``commit_so_far``: after-commit cleanups, queued tasks sent), or rolls back if it
    raised, so a lock is only ever held by a thread that is running; the dependency's exit then
    finds nothing to commit. The commit still happens before the response is sent.

    Async endpoints are left alone (they hold no thread between their statements only if they
    run them in one threadpool call themselves). A subclass that must write more after the
    endpoint, in the same unit of work, says so with ``commits_in_endpoint``.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint) and inspect.isfunction(endpoint):
            endpoint = self._committing(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def commits_in_endpoint(self, request: Request) -> bool:
        """Whether the endpoint's thread commits (the default), or the session dependency's
        exit does, after what the route class adds around the endpoint."""
        return True

    def _committing(self, endpoint: Callable[..., Any]) -> Callable[..., Any]:
        # FastAPI injects the Request into one parameter only: reuse the endpoint's own if it
        # declares one, else add a keyword-only one of ours.
        typed = get_typed_signature(endpoint)
        own = next(
            (
                p.name
                for p in typed.parameters.values()
                if isinstance(p.annotation, type) and issubclass(p.annotation, Request)
            ),
            None,
        )

        @functools.wraps(endpoint)
        def committing(*args: Any, **kwargs: Any) -> Any:
            request: Request = kwargs[own] if own else kwargs.pop(_REQUEST_PARAM)
            session = request.scope.get(SESSION_SCOPE_KEY)
            try:
                result = endpoint(*args, **kwargs)
                if isinstance(session, Session) and self.commits_in_endpoint(request):
                    commit_so_far(session)
            except BaseException:
                if isinstance(session, Session):
                    roll_back_so_far(session)
                raise
            return result

        if own is None:
            signature = inspect.signature(endpoint)
            extra = inspect.Parameter(
                _REQUEST_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Request
            )
            params = [*signature.parameters.values()]
            # Keyword-only parameters go after the others, and ``**kwargs`` last.
            at = next((i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD), len(params))
            params.insert(at, extra)
            committing.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return committing

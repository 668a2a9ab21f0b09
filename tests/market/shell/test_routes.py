"""Every route that opens the request's unit of work commits it on the endpoint's thread."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from ground.dependencies import UnitOfWorkRoute, get_session
from tests.fixtures.client import all_routes


def _uses_session(dependant: Dependant) -> bool:
    return any(sub.call is get_session or _uses_session(sub) for sub in dependant.dependencies)


def test_every_route_with_a_session_commits_on_its_endpoints_thread(app: FastAPI) -> None:
    """A route committed by the session dependency's exit would hold its row locks (SQLite's
    write lock) while that exit waits for a worker thread: the hang of fastapi#3205. So no
    route may use the plain route class with the request's session (``UnitOfWorkRoute``)."""
    with_session = [
        route
        for route in all_routes(app.routes)
        if isinstance(route, APIRoute) and _uses_session(route.dependant)
    ]
    assert len(with_session) > 100
    plain = [
        f"{sorted(route.methods)} {route.path}"
        for route in with_session
        if not isinstance(route, UnitOfWorkRoute)
    ]
    assert plain == []

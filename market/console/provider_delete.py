"""Deleting a dataset from its page: a confirmation page of its own, then POST-redirect-GET.

The button appears on the dataset page only while ``listings.deletion`` would allow it (a
draft, rejected, failed or stuck dataset); the page of a listed or suspended dataset says why
there is none. The POST calls the service behind ``DELETE /datasets/{id}``, so the console
refuses exactly what the API refuses, and a refusal changes nothing. The confirmation works
from the keyboard and without JavaScript; reloading the page the POST redirected to repeats
nothing.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from ground.db import utcnow
from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from listings import deletion
from listings import service as listings
from listings.views import dataset_read
from market.console.nav import NavItem
from market.console.session import ProviderUser
from market.console.templating import redirect, render

router = APIRouter(prefix="/provider", route_class=UnitOfWorkRoute)
NAV: tuple[NavItem, ...] = ()  # reached from the dataset page


@router.get("/datasets/{dataset_id}/delete")
def confirm_delete(
    request: Request, dataset_id: uuid.UUID, user: ProviderUser, session: SessionDep
) -> Response:
    """Ask before deleting: the dataset's title, status and what goes with it."""
    dataset = listings.get_owned(session, user.principal, dataset_id)
    return render(request, "provider/delete.html", user, {"dataset": dataset_read(dataset)})


@router.post("/datasets/{dataset_id}/delete")
def delete_dataset(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Delete the dataset (``DELETE /datasets/{id}``), then show the dashboard."""
    deletion.delete_dataset(session, user.principal, dataset_id, settings=settings, now=utcnow())
    return redirect(request, "/console/provider?done=deleted")

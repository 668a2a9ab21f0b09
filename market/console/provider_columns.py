"""Renaming a dataset's columns from its page: the small form that names the ``column_1`` …
of a header-less upload (or renames any column) before review.

The form posts every column's current name (``old-N``) and the name typed for it
(``new-N``); only changed names are sent to ``listings.columns.rename_columns``, the service
behind ``PUT /datasets/{id}/columns``, so the console refuses exactly what the API refuses
(unknown, empty, repeated or personal-data names; datasets past draft) and a refusal
changes nothing.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from listings import columns
from market.console.forms import FormFields
from market.console.nav import NavItem
from market.console.session import ProviderUser
from market.console.templating import redirect

router = APIRouter(prefix="/provider", route_class=UnitOfWorkRoute)
NAV: tuple[NavItem, ...] = ()  # part of the dataset page


def renames_from_form(form: dict[str, str]) -> dict[str, str]:
    """{current: new} for each ``old-N``/``new-N`` pair whose name was changed."""
    renames = {}
    for key, old in form.items():
        if not key.startswith("old-"):
            continue
        new = form.get("new-" + key.removeprefix("old-"), old).strip()
        if new != old:
            renames[old] = new
    return renames


@router.post("/datasets/{dataset_id}/columns")
def rename_columns(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    settings: SettingsDep,
    form: FormFields,
) -> Response:
    """Rename the changed columns (``PUT /datasets/{id}/columns``)."""
    columns.rename_columns(
        session,
        user.principal,
        dataset_id,
        renames_from_form(form),
        data_dir=settings.data_dir,
        k_threshold=settings.k_anonymity_min,
    )
    return redirect(request, f"/console/provider/datasets/{dataset_id}?done=columns_renamed")

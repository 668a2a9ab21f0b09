"""The provider's sandbox privacy profile page: declare or revise the metadata DP sensitivities
come from (the person column, max rows per person, numeric bounds, public GROUP BY domains).

The form is read into ``ProfileDeclare``, the body of ``PUT /sandbox/profiles/{id}``, and
handed to ``sandbox.profiles.declare``, the service behind it, so the page can declare nothing
the API would refuse; a refused declaration raises the service's bilingual error and the unit
of work rolls back, leaving the previous declaration (and the approved profile) as they were.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from ground.ops.logs import get_logger
from listings import service as listings
from listings.views import dataset_read
from market.console.forms import FormFields, FormInvalid, validate_form
from market.console.nav import NavItem
from market.console.session import ProviderUser
from market.console.templating import redirect, render
from sandbox import profiles
from sandbox.query import ValueType
from sandbox.schemas import ProfileDeclare

log = get_logger(__name__)

router = APIRouter(prefix="/provider", route_class=UnitOfWorkRoute)
NAV: tuple[NavItem, ...] = ()  # reached from the dataset page
DONE = frozenset({"declared"})


def _page_url(dataset_id: uuid.UUID) -> str:
    return f"/console/provider/datasets/{dataset_id}/sandbox"


def _domain_value(text: str, kind: ValueType | None, column: str) -> str | int | float | bool:
    """A typed public-domain value: group keys are compared with the column's own values, so
    a numeric column's "18" must be the number 18, or no group would ever match it."""
    if kind == "number":
        for parse in (int, float):
            try:
                return parse(text)
            except ValueError:
                log.debug("public value is not of this number type", parser=parse.__name__)
                continue
        raise FormInvalid(
            f"Public values of {column}: {text!r} is not a number.",
            f"列“{column}”的公开取值：{text!r} 不是数字。",
        )
    if kind == "bool":
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise FormInvalid(
                f"Public values of {column}: {text!r} is neither true nor false.",
                f"列“{column}”的公开取值：{text!r} 不是 true 或 false。",
            )
        return lowered == "true"
    return text


def declaration_from_form(fields: dict[str, str], types: dict[str, ValueType]) -> ProfileDeclare:
    """One row per column (``col-N`` names it): ``lower-N``/``upper-N`` bounds, ``domain-N``
    public values one per line; a row left blank declares nothing for its column."""
    bounds: dict[str, list[str | None]] = {}
    domains: dict[str, list[Any]] = {}
    for key, column in fields.items():
        if not key.startswith("col-"):
            continue
        index = key.removeprefix("col-")
        lower = fields.get(f"lower-{index}", "").strip()
        upper = fields.get(f"upper-{index}", "").strip()
        if lower or upper:
            bounds[column] = [lower or None, upper or None]
        values = [v.strip() for v in fields.get(f"domain-{index}", "").splitlines() if v.strip()]
        if values:
            domains[column] = [_domain_value(v, types.get(column), column) for v in values]
    return validate_form(
        ProfileDeclare,
        {
            "privacy_unit": fields.get("privacy_unit", "").strip(),
            "max_rows_per_person": fields.get("max_rows_per_person", "").strip(),
            "bounds": bounds,
            "public_domains": domains,
        },
    )


@router.get("/datasets/{dataset_id}/sandbox")
def profile_page(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    settings: SettingsDep,
    done: str = "",
) -> Response:
    """The current declaration and approval (``GET /sandbox/profiles/{id}``) and the form."""
    dataset = listings.get_owned(session, user.principal, dataset_id)
    profile = profiles.find(session, user.principal, dataset_id)
    types = profiles.declarable_columns(dataset, settings.data_dir)
    declared: dict[str, Any] = profile.declared if profile else {}
    rows = [
        {
            "index": i,
            "name": name,
            "type": kind,
            "bounds": declared.get("bounds", {}).get(name),
            "domain": "\n".join(str(v) for v in declared.get("public_domains", {}).get(name, [])),
        }
        for i, (name, kind) in enumerate(types.items())
    ]
    return render(
        request,
        "provider/sandbox_profile.html",
        user,
        {
            "dataset": dataset_read(dataset),
            "profile": profile,
            "declared": declared,
            "rows": rows,
            "done": done if done in DONE else "",
        },
    )


@router.post("/datasets/{dataset_id}/sandbox")
def declare(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    settings: SettingsDep,
    form: FormFields,
) -> Response:
    """Declare or revise the profile (``PUT /sandbox/profiles/{id}``); it waits for
    compliance, and the approved profile, if any, keeps serving queries until then."""
    dataset = listings.get_owned(session, user.principal, dataset_id)
    body = declaration_from_form(form, profiles.declarable_columns(dataset, settings.data_dir))
    profiles.declare(session, user.principal, dataset_id, body.model_dump(), settings.data_dir)
    return redirect(request, f"{_page_url(dataset_id)}?done=declared")

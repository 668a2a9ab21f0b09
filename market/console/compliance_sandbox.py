"""Compliance: a dataset's sandbox privacy profile and its approval.

The page shows what ``GET /sandbox/profiles/{id}`` shows staff (the provider's latest
declaration and the profile in use); approving calls ``sandbox.profiles.approve``, the service
behind ``POST /sandbox/profiles/{id}/approve``, which also bounds the stored file to the
declared rows per person when it has to. Only the compliance role approves, as in the API.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from accounts import service as accounts
from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from listings import service as listings
from listings.views import dataset_read
from market.console.compliance_common import user_emails
from market.console.nav import NavItem
from market.console.session import ComplianceUser
from market.console.templating import redirect, render
from sandbox import profiles

router = APIRouter(prefix="/compliance", route_class=UnitOfWorkRoute)
NAV: tuple[NavItem, ...] = ()  # reached from the listing review page
BASE = "/console/compliance/sandbox-profiles"
DONE = frozenset({"approved"})


@router.get("/sandbox-profiles/{dataset_id}")
def profile_review(
    request: Request,
    dataset_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    done: str = "",
) -> Response:
    """The declaration waiting for approval beside the approved profile in use."""
    profile = profiles.get(session, user.principal, dataset_id)
    dataset = listings.get_dataset(session, dataset_id)
    return render(
        request,
        "compliance/sandbox_profile.html",
        user,
        {
            "dataset": dataset_read(dataset),
            "provider_name": accounts.get_organization(session, dataset.provider_org_id).name,
            "profile": profile,
            "approvers": user_emails(session, {profile.approved_by_id}),
            "done": done if done in DONE else "",
        },
    )


@router.post("/sandbox-profiles/{dataset_id}/approve")
def approve(
    request: Request,
    dataset_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Approve the declared profile (``POST /sandbox/profiles/{id}/approve``): the
    sensitivities of every later query come from it."""
    profiles.approve(session, user.principal, dataset_id, settings)
    return redirect(request, f"{BASE}/{dataset_id}?done=approved")

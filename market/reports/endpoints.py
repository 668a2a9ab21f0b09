"""Reports for providers and compliance staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from accounts.dependencies import ProviderPrincipal, require_roles
from accounts.models import Role
from accounts.principal import Principal
from ground.dependencies import SessionDep, UnitOfWorkRoute
from market.reports import service
from market.reports.schemas import ComplianceReport, ProviderReport

router = APIRouter(tags=["reports"], route_class=UnitOfWorkRoute)


@router.get("/reports/provider", response_model=ProviderReport)
def provider_report(principal: ProviderPrincipal, session: SessionDep) -> ProviderReport:
    """Who bought each of your datasets, for which usage scenario, and how much they used."""
    return service.provider_report(session, principal)


@router.get("/reports/compliance", response_model=ComplianceReport)
def compliance_report(
    _staff: Annotated[Principal, Depends(require_roles(Role.compliance, Role.admin))],
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366, description="The window for usage figures")] = 30,
) -> ComplianceReport:
    """Listings by grade and status, trades by status, top consumers, privacy budget spent per
    buyer, and anomalies (a buyer whose usage jumps)."""
    return service.compliance_report(session, days=days)

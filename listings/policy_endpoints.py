"""Masking policies: read, edit (new version), history, preview and k-anonymity."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from accounts.dependencies import (
    CurrentPrincipal,
    ProviderOrStaffPrincipal,
    ProviderPrincipal,
)
from anonymize import Policy
from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from listings import policies, public_view, samples, service
from listings.models import Dataset, DeliveryMode, PolicyVersion
from listings.rows import json_rows
from listings.schemas import (
    KAnonymityRead,
    PolicyRead,
    PolicyUpdate,
    PolicyVersionRead,
    PreviewRead,
)
from listings.versions import Which, has_pending_change
from listings.views import k_read

router = APIRouter(tags=["policies"], route_class=UnitOfWorkRoute)


def version_read(version: PolicyVersion, threshold: int) -> PolicyVersionRead:
    policy = Policy.model_validate(version.policy)
    return PolicyVersionRead(
        dataset_id=version.dataset_id,
        version=version.version,
        columns=dict(policy.columns),
        quasi_identifiers=policy.quasi_identifiers,
        k_anonymity=k_read(version.k_anonymity, threshold),
        created_by_id=version.created_by_id,
        created_at=version.created_at,
    )


def _policy_read(dataset: Dataset, version: PolicyVersion, threshold: int) -> PolicyRead:
    return PolicyRead(
        **version_read(version, threshold).model_dump(),
        approved_version=dataset.approved_policy_version,
        pending_review=has_pending_change(dataset),
    )


@router.get("/datasets/{dataset_id}/policy", response_model=PolicyRead)
def get_policy(
    dataset_id: uuid.UUID,
    principal: ProviderOrStaffPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> PolicyRead:
    """The dataset's current draft policy (its provider and staff): one rule per column,
    the declared quasi-identifiers with their k-anonymity, and the approved version."""
    dataset = policies.get_policy(session, principal, dataset_id)
    version = policies.current_version(session, dataset)
    return _policy_read(dataset, version, settings.k_anonymity_min)


@router.put("/datasets/{dataset_id}/policy", response_model=PolicyRead)
def put_policy(
    dataset_id: uuid.UUID,
    body: PolicyUpdate,
    principal: ProviderPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> PolicyRead:
    """Replace the policy; saved as a new version (the provider that owns the dataset).

    Every rule must name a column of the dataset (400 otherwise) and carry the parameters
    its operator needs (422). Columns without a rule are not released. On a listed dataset
    the new version waits for compliance approval; buyers keep the approved version."""
    policy = Policy(columns=body.columns, quasi_identifiers=body.quasi_identifiers)
    version = policies.update_policy(
        session,
        principal,
        dataset_id,
        policy,
        data_dir=settings.data_dir,
        k_threshold=settings.k_anonymity_min,
    )
    dataset = policies.get_policy(session, principal, dataset_id)
    return _policy_read(dataset, version, settings.k_anonymity_min)


@router.get("/datasets/{dataset_id}/policy/versions", response_model=list[PolicyVersionRead])
def policy_versions(
    dataset_id: uuid.UUID,
    principal: ProviderOrStaffPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> list[PolicyVersionRead]:
    """Every saved version of the policy, newest first."""
    dataset = policies.get_policy(session, principal, dataset_id)
    return [version_read(v, settings.k_anonymity_min) for v in policies.versions(session, dataset)]


@router.get("/datasets/{dataset_id}/preview", response_model=PreviewRead)
def preview(
    dataset_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    rows: Annotated[int, Query(ge=1, le=50, description="How many leading rows")] = 10,
    policy: Annotated[
        Which | None,
        Query(description="draft (provider and staff; their default) or approved"),
    ] = None,
) -> PreviewRead:
    """The first rows as a buyer would see them: through the policy, with the key of a
    generic buyer (real buyers' pseudonyms differ; noisy and date-shifted cells are the same
    values every buyer receives). Buyers see listed datasets only, under the approved policy.
    Every preview is recorded in the audit log (`data.preview`), like a data call. A dataset
    offered through the sandbox only shows buyers synthetic rows (`synthetic: true`), made from
    public metadata alone, never from stored rows (nothing stored is shown, so nothing is
    audited)."""
    if policy != "draft":
        shown = service.get_visible(session, principal, dataset_id)
        if shown.delivery_mode is DeliveryMode.sandbox and not public_view.sees_full_view(
            principal, shown
        ):
            sample = samples.synthetic_rows(session, shown, limit=rows, offset=0)
            return PreviewRead(
                dataset_id=shown.id,
                policy="approved",
                policy_version=shown.approved_policy_version,
                columns=sample.column_names,
                rows=json_rows(sample),
                synthetic=True,
            )
    dataset, which, table = policies.preview(
        session,
        principal,
        dataset_id,
        which=policy,
        rows=rows,
        data_dir=settings.data_dir,
        door=policies.PreviewDoor.api_preview,
    )
    return PreviewRead(
        dataset_id=dataset.id,
        policy=which,
        policy_version=(
            dataset.approved_policy_version if which == "approved" else dataset.policy_version
        ),
        columns=table.column_names,
        rows=json_rows(table),
    )


@router.get("/datasets/{dataset_id}/k-anonymity", response_model=KAnonymityRead)
def k_anonymity(
    dataset_id: uuid.UUID,
    principal: ProviderOrStaffPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    quasi_identifiers: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Comma-separated columns; default: those declared in the policy",
        ),
    ] = None,
    policy: Annotated[Which, Query(description="Measure the draft or the approved release")] = (
        "draft"
    ),
) -> KAnonymityRead:
    """k-anonymity of the released (masked) rows over the quasi-identifiers: the smallest
    equivalence class and the rows in classes under the configured k."""
    names = [n.strip() for n in (quasi_identifiers or "").split(",") if n.strip()]
    report = policies.k_anonymity_report(
        session,
        principal,
        dataset_id,
        quasi_identifiers=names,
        which=policy,
        data_dir=settings.data_dir,
        threshold=settings.k_anonymity_min,
    )
    result = k_read(report, settings.k_anonymity_min)
    assert result is not None
    return result

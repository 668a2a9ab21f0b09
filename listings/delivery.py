"""Delivery modes: the provider declares whether a dataset offers masked rows, the sandbox, or
both (``listings.models.DeliveryMode``), and every way out follows the declaration.

- Rows: only ``rows`` and ``both`` datasets serve real (masked) rows. ``read_masked_rows``
  refuses a sandbox-only dataset whatever entitlement the caller holds
  (``offers.require_rows``); its data API and its previews serve a synthetic sample instead
  (``listings.samples``).
- Sandbox: only ``sandbox`` and ``both`` datasets take a sandbox profile, grants, packs and
  queries (``offers.require_sandbox``).
- Plans follow the mode (billing checks each plan against it, and refuses a mode change that
  would contradict a plan still offered).

The mode is fixed from submission on: changing it on a listed dataset would change what its
buyers were sold (rows they pay for, or the protection the sandbox gives them), so it is
refused with 409 rather than sent back through review; a provider who wants a listed dataset
delivered differently lists it again as a new dataset. While the dataset is a draft (or was
rejected) the provider may change it freely.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from accounts.principal import Principal
from audit import service as audit
from ground.db import utcnow
from ground.errors import Conflict
from ground.events import publish
from listings import events
from listings.models import Dataset, DatasetStatus, DeliveryMode
from listings.repository import DatasetRepository
from listings.service import get_owned

CHANGEABLE = (DatasetStatus.processing, DatasetStatus.draft, DatasetStatus.rejected)


def set_delivery_mode(
    session: Session, principal: Principal, dataset_id: uuid.UUID, mode: DeliveryMode
) -> Dataset:
    """Declare what the dataset offers. Only its provider, only before submission (or after a
    rejection): 409 afterwards, and 409 while a plan it offers contradicts the new mode."""
    dataset = get_owned(session, principal, dataset_id, for_update=True)
    if dataset.status not in CHANGEABLE:
        raise Conflict(
            f"The delivery mode is fixed once a dataset is submitted (this one is "
            f"{dataset.status}): buyers were offered what it declared. List the data again "
            f"as a new dataset to deliver it differently.",
            f"数据集提交审核后交付方式即固定（当前状态为 {dataset.status}），"
            f"因为买方已按原声明订购。如需以其他方式交付，请作为新数据集重新上架。",
        )
    if mode is dataset.delivery_mode:
        return dataset
    publish(session, events.DeliveryModeChanging(dataset, mode))
    previous = dataset.delivery_mode
    dataset.delivery_mode = mode
    dataset.updated_at = utcnow()
    DatasetRepository(session).add(dataset)
    audit.record(
        session,
        "dataset.delivery_mode",
        actor=principal,
        dataset_id=dataset.id,
        details={"from": str(previous), "to": str(mode)},
    )
    return dataset

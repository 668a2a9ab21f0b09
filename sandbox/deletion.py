"""The sandbox's part in deleting a dataset (``listings.deletion``): its privacy profile goes
with it, in the same transaction. Grants and queries only exist on listed datasets, which are
never deleted; should one exist, the deletion fails on its foreign key (409). Registered by
``market.shell.domains``.
"""

from __future__ import annotations

from sqlmodel import Session

from listings import events
from listings.models import Dataset
from sandbox.repository import SandboxRepository


@events.on_dataset_deleting
def delete_profile(session: Session, dataset: Dataset) -> None:
    profile = SandboxRepository(session).profile(dataset.id, for_update=True)
    if profile is not None:
        session.delete(profile)
        session.flush()

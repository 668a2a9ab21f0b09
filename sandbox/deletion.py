"""The sandbox's part in deleting a dataset (``listings.deletion``): its privacy profile goes
with it, in the same transaction. Grants and queries only exist on listed datasets, which are
never deleted; should one exist, the deletion fails on its foreign key (409). Subscribed by
``market.shell.wiring``.
"""

from __future__ import annotations

from sqlmodel import Session

from listings import events
from sandbox.repository import SandboxRepository


def delete_profile(session: Session, event: events.DatasetDeleting) -> None:
    profile = SandboxRepository(session).profile(event.dataset.id, for_update=True)
    if profile is not None:
        session.delete(profile)
        session.flush()

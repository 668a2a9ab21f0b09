"""Domain events other packages subscribe to, so ``listings`` never imports them.

Billing creates a listed dataset's default plans when it is listed; the hooks run inside the
same transaction as the listing, so a dataset is never listed without them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from listings.models import Dataset

DatasetHandler = Callable[[Session, Dataset], None]
_on_listed: list[DatasetHandler] = []


def on_dataset_listed(handler: DatasetHandler) -> DatasetHandler:
    if handler not in _on_listed:
        _on_listed.append(handler)
    return handler


def dataset_listed(session: Session, dataset: Dataset) -> None:
    for handler in _on_listed:
        handler(session, dataset)

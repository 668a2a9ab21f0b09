"""Domain events other packages subscribe to, so ``listings`` never imports them.

Billing creates a listed dataset's default plans when it is listed; the sandbox renames the
columns its privacy profile names when the provider renames a dataset's columns. The hooks
run inside the same transaction as the change, so neither is ever half done.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from listings.models import Dataset

DatasetHandler = Callable[[Session, Dataset], None]
# (session, dataset, {old name: new name}) after a provider renamed columns.
RenameHandler = Callable[[Session, Dataset, dict[str, str]], None]
_on_listed: list[DatasetHandler] = []
_on_renamed: list[RenameHandler] = []


def on_dataset_listed(handler: DatasetHandler) -> DatasetHandler:
    if handler not in _on_listed:
        _on_listed.append(handler)
    return handler


def dataset_listed(session: Session, dataset: Dataset) -> None:
    for handler in _on_listed:
        handler(session, dataset)


def on_columns_renamed(handler: RenameHandler) -> RenameHandler:
    if handler not in _on_renamed:
        _on_renamed.append(handler)
    return handler


def columns_renamed(session: Session, dataset: Dataset, renames: dict[str, str]) -> None:
    for handler in _on_renamed:
        handler(session, dataset, renames)

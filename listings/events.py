"""Domain events other packages subscribe to, so ``listings`` never imports them.

Billing creates a listed dataset's default plans when it is listed; the sandbox renames the
columns its privacy profile names when the provider renames a dataset's columns. The hooks
run inside the same transaction as the change, so neither is ever half done. Before a
dataset's delivery mode changes, billing checks that no plan it offers would contradict the
new mode (a handler refuses by raising; the unit of work then rolls back). Before a
provider's dataset is deleted, billing removes its plans and the sandbox its profile, in the
same transaction as the deletion.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from listings.models import Dataset, DeliveryMode

DatasetHandler = Callable[[Session, Dataset], None]
# (session, dataset, {old name: new name}) after a provider renamed columns.
RenameHandler = Callable[[Session, Dataset, dict[str, str]], None]
ModeHandler = Callable[[Session, Dataset, DeliveryMode], None]
_on_listed: list[DatasetHandler] = []
_on_renamed: list[RenameHandler] = []
_on_mode_change: list[ModeHandler] = []
_on_deleting: list[DatasetHandler] = []


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


def on_delivery_mode_change(handler: ModeHandler) -> ModeHandler:
    """Run ``handler(session, dataset, new_mode)`` before a delivery mode changes; it refuses
    the change by raising a ``SluiceError``."""
    if handler not in _on_mode_change:
        _on_mode_change.append(handler)
    return handler


def delivery_mode_changing(session: Session, dataset: Dataset, mode: DeliveryMode) -> None:
    for handler in _on_mode_change:
        handler(session, dataset, mode)


def on_dataset_deleting(handler: DatasetHandler) -> DatasetHandler:
    """Run ``handler(session, dataset)`` before a dataset's rows are deleted: it removes
    what its package keeps for the dataset, or refuses the deletion by raising."""
    if handler not in _on_deleting:
        _on_deleting.append(handler)
    return handler


def dataset_deleting(session: Session, dataset: Dataset) -> None:
    for handler in _on_deleting:
        handler(session, dataset)

"""Loading every domain, so that cross-domain event handlers are registered.

``listings`` publishes events (e.g. a dataset was listed) without importing their subscribers;
every entry point (the app, the CLI, the Celery worker) calls ``load_domains`` first.
"""

from __future__ import annotations

import importlib

DOMAIN_MODULES = (
    "market.shell.models",
    "audit.service",  # chains queued audit records onto the log before each commit
    "billing.service",  # subscribes to listings.events.dataset_listed and dataset_deleting
    "trade.stops",  # emergency stops refuse new API keys (a gate on accounts)
    "sandbox.tasks",
    "sandbox.subscriptions",  # sandbox packs grant budgets; emergency stops end grants
    "sandbox.columns",  # subscribes to listings.events.columns_renamed
    "sandbox.deletion",  # subscribes to listings.events.dataset_deleting
)


def load_domains() -> None:
    for module in DOMAIN_MODULES:
        importlib.import_module(module)

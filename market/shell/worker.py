"""The Celery worker's and beat's entry: ``celery --app=market.shell.worker:celery_app worker``
(or ``beat``).

The Celery app itself, its configuration and the task options live in ``ground.worker``; this
module adds what a worker process needs from the shell: every task registered (importing
``market.shell.wiring`` imports the task modules), the domains wired when the worker starts, its
logging, error reporting and metrics, and the beat schedule.
"""

from __future__ import annotations

from typing import Any

from celery import signals

from audit.tasks import SEAL_INTERVAL_SECONDS
from ground.config import get_settings
from ground.ops import sentry
from ground.ops.logs import configure_logging, get_logger
from ground.ops.metrics import serve_worker_metrics
from ground.worker import celery_app
from market.shell.wiring import TASK_MODULES, wire

__all__ = ["BEAT_SCHEDULE", "TASK_MODULES", "celery_app"]

log = get_logger(__name__)

# Run by `celery --app=market.shell.worker:celery_app beat`. Every run is idempotent
# (conditional UPDATEs), so a missed or doubled beat never resets a quota twice in one period.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Chains the audit records appended since the last run (audit.service).
    "audit-seal": {"task": "audit.seal", "schedule": SEAL_INTERVAL_SECONDS},
    "trade-reset-quotas": {"task": "trade.reset_quotas", "schedule": 300.0},
    # Stale ingests sent again or failed, orphaned files swept (README, "Operating").
    "listings-recover-stuck-ingests": {"task": "listings.recover_stuck_ingests", "schedule": 300.0},
    "listings-sweep-orphaned-files": {"task": "listings.sweep_orphaned_files", "schedule": 900.0},
    "idempotency-sweep-expired": {"task": "idempotency.sweep_expired", "schedule": 3600.0},
}

# Lazily, like the rest of the configuration (``ground.worker``): importing this module reads
# no settings.
celery_app.add_defaults({"beat_schedule": BEAT_SCHEDULE})


@signals.setup_logging.connect
def _configure_worker_logging(**_kwargs: Any) -> None:
    """Connected, so Celery leaves logging to us: the worker logs like the API."""
    configure_logging(get_settings())


@signals.worker_init.connect
def _start_worker(**_kwargs: Any) -> None:
    settings = get_settings()
    wire()
    sentry.init_sentry(settings)
    if settings.worker_metrics_port:
        serve_worker_metrics(settings.worker_metrics_port)
        log.info("worker metrics served", address=f"127.0.0.1:{settings.worker_metrics_port}")

"""The Celery app, and enqueue-after-commit.

Services call ``enqueue(session, "listings.ingest", dataset_id=...)``; nothing is sent until the
owner of the session has committed (``send_pending``), and a rollback drops the queue
(``discard_pending``). A bare ``.delay()`` inside a transaction would let a worker look for rows
that are not committed yet, or act on work that is later rolled back.

Without ``SLUICE_CELERY_BROKER_URL`` tasks run in-process right after the commit (Celery's eager
mode), which is what the demo and most tests use; with a Redis URL a real worker runs them.
"""

from __future__ import annotations

import importlib
import threading
import uuid
from typing import Any

from celery import Celery, signals
from kombu import pools as kombu_pools
from sqlmodel import Session

from market.config import Settings, get_settings

TASK_MODULES = ("listings.tasks", "market.trade.tasks", "sandbox.tasks")
_PENDING_KEY = "sluice.pending_tasks"

celery_app = Celery("sluice", include=list(TASK_MODULES))

# Run by `celery -A market.worker:celery_app beat`. Every run is idempotent (conditional
# UPDATEs), so a missed or doubled beat never resets a quota twice in one period.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "billing-reset-quotas": {"task": "billing.reset_quotas", "schedule": 300.0},
}


def _forget_connections() -> None:
    """Close and drop the broker pools and result backend Celery caches on first use.

    Only a process that switches brokers needs this (the test suite moves between in-process
    tasks and Redis); it does what Celery itself does after a fork, and closes the sockets.
    """
    kombu_pools.reset()  # closes and forgets kombu's process-wide connection/producer pools
    celery_app._pool = None
    amqp = vars(celery_app).get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    backend = celery_app._backend_cache or getattr(celery_app._local, "backend", None)
    consumer = getattr(backend, "result_consumer", None)
    if consumer is not None:
        consumer.stop()
    client = getattr(backend, "client", None)
    if client is not None:
        client.close()
    celery_app._local = threading.local()
    celery_app._backend_cache = None


def configure_celery(settings: Settings) -> None:
    """Point the app at the configured broker, or run tasks eagerly in-process."""
    if settings.tasks_in_process:
        celery_app.conf.update(
            broker_url="memory://localhost/",
            result_backend=None,
            task_always_eager=True,
            task_eager_propagates=True,
        )
    else:
        celery_app.conf.update(
            broker_url=settings.celery_broker_url,
            # Results let operators (and the worker test) wait on a task without polling rows.
            result_backend=settings.celery_broker_url,
            task_always_eager=False,
            result_expires=3600,
            # One backend (and Redis connection pool) for every thread, instead of one per
            # thread: request threads that send tasks would otherwise each open a client that
            # nothing closes.
            result_backend_thread_safe=True,
        )
    _forget_connections()
    celery_app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule=BEAT_SCHEDULE,
        timezone="UTC",
        task_default_queue=settings.celery_queue,
    )


configure_celery(get_settings())


@signals.worker_init.connect
def _load_domains(**_kwargs: Any) -> None:
    from market.domains import load_domains

    load_domains()


def enqueue(session: Session, name: str, **kwargs: Any) -> str:
    """Queue a task to be sent after ``session`` commits; returns the task id it will carry."""
    task_id = str(uuid.uuid4())
    session.info.setdefault(_PENDING_KEY, []).append((name, kwargs, task_id))
    return task_id


def send_pending(session: Session) -> None:
    pending: list[tuple[str, dict[str, Any], str]] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    for module in TASK_MODULES:
        importlib.import_module(module)
    for name, kwargs, task_id in pending:
        celery_app.tasks[name].apply_async(kwargs=kwargs, task_id=task_id)


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)

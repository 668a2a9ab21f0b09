"""The Celery app, and enqueue-after-commit.

Services call ``enqueue(session, "listings.ingest", dataset_id=...)``; nothing is sent until the
owner of the session has committed (``send_pending``), and a rollback drops the queue
(``discard_pending``). A bare ``.delay()`` inside a transaction would let a worker look for rows
that are not committed yet, or act on work that is later rolled back.

Without ``SLUICE_CELERY_BROKER_URL`` tasks run in-process right after the commit (Celery's eager
mode), which is what the demo and most tests use; with a Redis URL a real worker runs them.

Every task is idempotent (a redelivered or repeated run finds its work done) and declared with
``IDEMPOTENT_TASK``: acknowledged only after it ran (``acks_late``), and sent again with an
exponential, jittered backoff when it fails on a transient error (``TRANSIENT_ERRORS``: the
database or the broker was unreachable, a deadlock or serialization failure), at most
``max_retries`` times. Outcomes and durations are logged and counted by ``ground.ops.tasks``.

The ground knows no task by name: the domains declare their tasks on ``celery_app``, and the
shell (``market.shell.wiring``) imports every task module before anything is sent;
``market.shell.worker`` is the Celery worker's and beat's entry, with the beat schedule.
The configuration is read from the settings when Celery first needs it (a task looked up or
sent), not at import: importing a domain that enqueues work never reads the settings, so an
entry point checks them first and explains a refusal; ``configure_celery`` points the app at
other settings (as the tests do).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from celery import Celery, Task
from kombu import pools as kombu_pools
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy.exc import InterfaceError as DatabaseInterfaceError
from sqlalchemy.exc import OperationalError as DatabaseUnavailable
from sqlmodel import Session

from ground.config import Settings, get_settings
from ground.ops.logs import current_request_id
from ground.ops.tasks import REQUEST_ID_HEADER, connect_task_signals

_PENDING_KEY = "sluice.pending_tasks"

celery_app = Celery("sluice")

# Errors that say "try again later", not "this input is bad": the database or the broker did
# not answer (or dropped the connection), a deadlock or serialization failure was detected.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    DatabaseUnavailable,
    DatabaseInterfaceError,
    BrokerUnavailable,
    ConnectionError,
    TimeoutError,
)
# The options of every task (all are idempotent): see the module docstring.
IDEMPOTENT_TASK: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def will_retry(task: Task, exc: BaseException) -> bool:
    """Whether ``exc`` raised from ``task`` now will be retried by ``autoretry_for``: a
    transient error on a worker with retries left (in-process runs and direct calls are not
    retried: the caller gets the error)."""
    request = task.request
    return (
        isinstance(exc, TRANSIENT_ERRORS)
        and not request.is_eager
        and not request.called_directly
        and request.retries < (task.max_retries or 0)
    )


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


def celery_config(settings: Settings) -> dict[str, Any]:
    """The app's configuration for ``settings``: the configured broker, or tasks run eagerly
    in-process."""
    if settings.tasks_in_process:
        broker: dict[str, Any] = {
            "broker_url": "memory://localhost/",
            "result_backend": None,
            "task_always_eager": True,
            "task_eager_propagates": True,
        }
    else:
        broker = {
            "broker_url": settings.celery_broker_url,
            # Results let operators (and the worker test) wait on a task without polling rows.
            "result_backend": settings.celery_broker_url,
            "task_always_eager": False,
            "result_expires": 3600,
            # One backend (and Redis connection pool) for every thread, instead of one per
            # thread: request threads that send tasks would otherwise each open a client that
            # nothing closes.
            "result_backend_thread_safe": True,
        }
    return {
        **broker,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "timezone": "UTC",
        "task_default_queue": settings.celery_queue,
    }


def configure_celery(settings: Settings) -> None:
    """Point the app at ``settings``' broker (or in-process tasks), dropping the connections
    made for the previous one."""
    celery_app.conf.update(celery_config(settings))
    _forget_connections()


# A promise: read when Celery first needs its configuration, never at import (see above).
celery_app.add_defaults(lambda: celery_config(get_settings()))


connect_task_signals()


def enqueue(session: Session, name: str, **kwargs: Any) -> str:
    """Queue a task to be sent after ``session`` commits; returns the task id it will carry."""
    task_id = str(uuid.uuid4())
    session.info.setdefault(_PENDING_KEY, []).append((name, kwargs, task_id))
    return task_id


def send_pending(session: Session) -> None:
    pending: list[tuple[str, dict[str, Any], str]] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    # The request that enqueued the work travels with it, so its lines share the request id.
    request_id = current_request_id()
    headers = {REQUEST_ID_HEADER: request_id} if request_id else None
    for name, kwargs, task_id in pending:
        celery_app.tasks[name].apply_async(kwargs=kwargs, task_id=task_id, headers=headers)


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)

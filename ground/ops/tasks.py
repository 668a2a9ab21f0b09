"""Every Celery task's outcome and duration: one log line and two metrics per run.

Connected to Celery's signals (``connect_task_signals``), so each task gets it without a line
of its own. While a task runs, its lines carry ``task`` and ``task_id``, and the
``request_id`` of the request that enqueued it (sent as a message header by
``ground.worker.send_pending``), so a request and the work it caused share one id.

Outcomes: ``success``; ``retry`` (a transient error, sent again after a backoff); ``failure``
(the exception's class and frames are logged, never its message, see ``ground.ops.logs``).
In the in-process mode an exception propagates to the caller, and Celery reports no state:
that run counts as a ``failure`` too.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from celery import signals

from ground.ops import metrics, sentry
from ground.ops.logs import bind_context, get_logger, unbind_context

REQUEST_ID_HEADER = "sluice_request_id"

log = get_logger("sluice.task")
_lock = threading.Lock()
_running: dict[str, tuple[float, Any]] = {}
_errors: dict[str, BaseException] = {}


def request_id_of_task(request: Any) -> str | None:
    """The enqueuing request's id: a message header (a worker shows custom headers as
    attributes of the task's request, an in-process run under ``headers``)."""
    value = getattr(request, REQUEST_ID_HEADER, None) or (
        getattr(request, "headers", None) or {}
    ).get(REQUEST_ID_HEADER)
    return value if isinstance(value, str) else None


def _started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is None or task is None:
        return
    context: dict[str, Any] = {"task": task.name, "task_id": task_id}
    request_id = request_id_of_task(task.request)
    if request_id is not None:
        context["request_id"] = request_id
    tokens = bind_context(**context)
    with _lock:
        _running[task_id] = (time.perf_counter(), tokens)
    log.debug("task started", retries=task.request.retries)


def _failed(task_id: str | None = None, exception: BaseException | None = None, **_: Any) -> None:
    if task_id is not None and exception is not None:
        with _lock:
            _errors[task_id] = exception


def _retrying(request: Any = None, reason: Any = None, **_: Any) -> None:
    task_id = getattr(request, "id", None)
    cause = getattr(reason, "exc", None)
    if task_id is not None and isinstance(cause, BaseException):
        with _lock:
            _errors[task_id] = cause


def _finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
) -> None:
    if task_id is None or task is None:
        return
    with _lock:
        started, tokens = _running.pop(task_id, (time.perf_counter(), None))
        error = _errors.pop(task_id, None)
    seconds = time.perf_counter() - started
    outcome = {"SUCCESS": "success", "RETRY": "retry"}.get(state or "", "failure")
    metrics.task_ran(task.name, outcome, seconds)
    fields: dict[str, Any] = {
        "outcome": outcome,
        "duration_ms": round(seconds * 1000, 2),
        "retries": task.request.retries,
    }
    if outcome == "success":
        log.info("task finished", **fields)
    elif outcome == "retry":
        log.warning("task will be retried", **fields, exc_info=error)
    else:
        log.error("task failed", **fields, exc_info=error)
        if error is not None:
            sentry.capture(error, task=task.name, task_id=task_id)
    if tokens is not None:
        unbind_context(tokens)


def connect_task_signals() -> None:
    """Idempotent: Celery's signals keep one receiver per function (``weak=False``)."""
    signals.task_prerun.connect(_started, weak=False)
    signals.task_failure.connect(_failed, weak=False)
    signals.task_retry.connect(_retrying, weak=False)
    signals.task_postrun.connect(_finished, weak=False)

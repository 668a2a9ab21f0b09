"""Prometheus metrics (prometheus-client) of the API, the data API, the sandbox and the tasks.

Labels are chosen from closed sets only: a route *template* (``/api/v1/data/{dataset_id}/rows``,
or ``unmatched`` for a path no route knows, so a client cannot mint labels), a method, a
status, a task name, an outcome. No label carries an id, a user or a value.

What the numbers reveal: totals over every buyer (rows served, ε spent, queries by outcome),
never one buyer's or one dataset's. They are still business figures, so ``/metrics`` is served
only to the scraper the operator names (``ground.ops.health``).

Counters move in the process that does the work. With several processes (a prefork Celery
worker's children, several API workers), set prometheus-client's own
``PROMETHEUS_MULTIPROC_DIR`` to a shared empty directory: ``render`` then sums every process
that writes there.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

from ground.config import prometheus_multiproc_dir

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED_ROUTE = "unmatched"

HTTP_REQUEST_SECONDS = Histogram(
    "sluice_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
)
DATA_ROWS_SERVED = Counter(
    "sluice_data_rows_served_total",
    "Masked rows the data API returned to buyers.",
)
SANDBOX_QUERIES = Counter(
    "sluice_sandbox_queries_total",
    "Sandbox queries settled, by outcome (succeeded, failed, timeout, not_runnable).",
    ["outcome"],
)
SANDBOX_EPSILON_SPENT = Counter(
    "sluice_sandbox_epsilon_spent_total",
    "Privacy budget (epsilon) charged by settled sandbox queries.",
)
TASKS_RUN = Counter(
    "sluice_tasks_total",
    "Celery tasks run, by task name and outcome (success, failure, retry).",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "sluice_task_duration_seconds",
    "Time a Celery task ran, by task name and outcome.",
    ["task", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)


def rows_served(count: int) -> None:
    DATA_ROWS_SERVED.inc(count)


def sandbox_query_settled(outcome: str, epsilon_charged: float) -> None:
    SANDBOX_QUERIES.labels(outcome).inc()
    if epsilon_charged > 0:
        SANDBOX_EPSILON_SPENT.inc(epsilon_charged)


def task_ran(task: str, outcome: str, seconds: float) -> None:
    TASKS_RUN.labels(task, outcome).inc()
    TASK_SECONDS.labels(task, outcome).observe(seconds)


def request_answered(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)


def _registry() -> CollectorRegistry:
    if prometheus_multiproc_dir() is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def render() -> bytes:
    """The exposition text of this process (or of every process sharing the directory)."""
    return generate_latest(_registry())


def serve_worker_metrics(port: int) -> None:
    """A worker's exporter, on the loopback interface only (no authentication of its own)."""
    start_http_server(port, addr="127.0.0.1", registry=_registry())

"""Operations: structured logs, request ids, metrics, health probes, task outcomes, Sentry.

Part of the ground: it imports no domain. ``market.shell.app`` installs the request middleware and
the endpoints; ``ground.worker`` connects the task signals; the app, the CLI and the worker
each call ``logs.configure_logging`` once at start. What each exit guarantees (no data value,
no secret in a log line, a metric label or an error report) is stated in each module.
"""

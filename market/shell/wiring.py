"""The one place that wires the domains: which handler reacts to which event.

Every entry point (the app factory, the CLI, the Celery worker, the test suite) calls ``wire()``
before it serves. A domain publishes typed events (``ground.events``) without knowing who
reacts; the subscriptions below are the whole list of who does.
"""

from __future__ import annotations

from market.shell.domains import load_domains


def wire() -> None:
    """Subscribe every cross-domain handler (idempotent: subscribing twice keeps one)."""
    load_domains()

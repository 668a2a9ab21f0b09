"""The beat schedule in-process, for the embedded mode (no broker, no separate beat process).

With a broker, ``celery beat`` sends ``BEAT_SCHEDULE``'s tasks to workers. Without one (the
embedded default of a fresh clone and the demo) nothing would ever send them, so subscriptions
would never refill and entitlements never expire. ``EmbeddedBeat`` runs the same tasks at the
same intervals on a daemon thread of the serving process. Every scheduled task is idempotent, so
a tick that overlaps a restart, or a server started twice, does no harm.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ground.worker import celery_app
from market.shell.worker import BEAT_SCHEDULE

log = logging.getLogger(__name__)


class EmbeddedBeat:
    """Runs each scheduled task when its interval has passed (first run at start)."""

    def __init__(
        self,
        schedule: Mapping[str, Mapping[str, Any]] = BEAT_SCHEDULE,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._schedule = {
            name: (str(e["task"]), float(e["schedule"])) for name, e in schedule.items()
        }
        self._clock = clock
        self._due = dict.fromkeys(self._schedule, clock())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[str]:
        """Run every task that is due; returns the names of the tasks run. A failing task is
        logged and retried at its next interval; it never stops the others. (The scheduled
        tasks are registered: importing ``market.shell.worker`` imported their modules.)"""
        ran = []
        now = self._clock()
        for entry, (task, interval) in self._schedule.items():
            if now < self._due[entry]:
                continue
            self._due[entry] = now + interval
            try:
                celery_app.tasks[task].apply().get(disable_sync_subtasks=False)
            except Exception:
                log.exception("embedded beat: task failed", extra={"task": task})
            ran.append(task)
        return ran

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sluice-beat", daemon=True)
        self._thread.start()
        log.info("embedded beat started", extra={"entries": sorted(self._schedule)})

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            wait = min(self._due.values()) - self._clock()
            self._stop.wait(max(1.0, wait))

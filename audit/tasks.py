"""The sealer, run by Celery beat (see ``market.shell.worker``; in the embedded default the
serving process runs the same schedule, ``market.shell.beat``)."""

from __future__ import annotations

from audit import service
from ground.db import unit_of_work
from ground.worker import IDEMPOTENT_TASK, celery_app

#: How often the beat seals the log: the longest an appended record waits for its place in the
#: chain, and so the window in which deleting it would go unnoticed (``audit.service``).
SEAL_INTERVAL_SECONDS = 10.0


def _seal() -> dict[str, int]:
    """Chain every committed, unsealed record written before the run, one transaction per
    batch, so the head's lock is held briefly and a large backlog never makes one huge
    transaction (records written meanwhile are the next run's).

    Idempotent: a run that finds nothing unsealed does nothing, and two runs never chain a
    record twice (the second waits for the head's lock and finds the first's work done)."""
    until, total = service.seal_cutoff(), 0
    while True:
        with unit_of_work() as session:
            sealed = service.seal(session, until=until)
        total += sealed
        if sealed < service.SEAL_BATCH:  # the backlog up to ``until`` is sealed
            return {"sealed": total}


seal = celery_app.task(name="audit.seal", **IDEMPOTENT_TASK)(_seal)

"""Sweeping expired idempotency keys (run by Celery beat, see market.shell.worker)."""

from __future__ import annotations

from ground.db import unit_of_work
from ground.idempotency import service
from ground.ops.logs import get_logger
from ground.worker import IDEMPOTENT_TASK, celery_app

log = get_logger(__name__)


@celery_app.task(name="idempotency.sweep_expired", **IDEMPOTENT_TASK)
def sweep_expired() -> dict[str, int]:
    """Delete the keys past ``SLUICE_IDEMPOTENCY_TTL_HOURS``: after that, the same key is a new
    request. Idempotent (a DELETE by expiry), so a doubled or retried run does no harm."""
    with unit_of_work() as session:
        deleted = service.sweep_expired(session)
    log.info("idempotency keys swept", deleted=deleted)
    return {"deleted": deleted}

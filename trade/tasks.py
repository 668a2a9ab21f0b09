"""Scheduled housekeeping of entitlements (run by Celery beat, see market.shell.worker)."""

from __future__ import annotations

from ground.db import unit_of_work
from ground.worker import IDEMPOTENT_TASK, celery_app
from trade import service


@celery_app.task(name="trade.reset_quotas", **IDEMPOTENT_TASK)
def reset_quotas() -> dict[str, int]:
    """Expire entitlements past their validity, refill subscriptions whose period ended, and
    bill the overage of ended periods and entitlements (orders awaiting payment).

    Idempotent (conditional UPDATEs), so a transient failure is simply retried."""
    with unit_of_work() as session:
        done = service.expire_and_reset(session)
    return {"expired": done.expired, "reset": done.reset, "invoiced": done.invoiced}


# The name this task had while its module lived with billing. A message queued under it before an
# upgrade (or sent by a beat still running the old schedule) still runs the same work; remove it
# once no deployment can hold such a message.
reset_quotas_legacy_name = celery_app.task(name="billing.reset_quotas", **IDEMPOTENT_TASK)(
    reset_quotas.run
)

"""Scheduled housekeeping of entitlements (run by Celery beat, see market.shell.worker)."""

from __future__ import annotations

from ground.db import unit_of_work
from ground.worker import IDEMPOTENT_TASK, celery_app
from trade import service


def _reset_quotas() -> dict[str, int]:
    """Expire entitlements past their validity, refill subscriptions whose period ended, and
    bill the overage of ended periods and entitlements (orders awaiting payment).

    Idempotent (conditional UPDATEs), so a transient failure is simply retried."""
    with unit_of_work() as session:
        done = service.expire_and_reset(session)
    return {"expired": done.expired, "reset": done.reset, "invoiced": done.invoiced}


reset_quotas = celery_app.task(name="trade.reset_quotas", **IDEMPOTENT_TASK)(_reset_quotas)
# The name this task had while its module lived with billing. A message queued under it before an
# upgrade (or sent by a beat still running the old schedule) still runs the same work; remove it
# once no deployment can hold such a message. Both are declared from the plain function, so
# importing this module leaves the Celery app unfinalized (its settings are read lazily).
reset_quotas_under_its_old_name = celery_app.task(name="billing.reset_quotas", **IDEMPOTENT_TASK)(
    _reset_quotas
)

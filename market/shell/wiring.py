"""The one place that wires the domains: which handler reacts to which event.

Every entry point (the app factory, the CLI, the Celery worker, the test suite) calls ``wire()``
before it serves. A domain publishes typed events (``ground.events``) without knowing who
reacts; the subscriptions below are the whole list of who does.
"""

from __future__ import annotations

from billing import events as billing_events
from ground import events
from market.shell.domains import load_domains
from trade import settlement


def wire() -> None:
    """Subscribe every cross-domain handler (idempotent: subscribing twice keeps one)."""
    load_domains()
    _wire_money_to_orders()


def _wire_money_to_orders() -> None:
    """Billing moves the money, trade moves the orders it was paid for (same transaction)."""
    # A Stripe payment captured: trade credits its order, or refuses (billing lists it).
    events.subscribe(billing_events.CardPaymentCaptured, settlement.credit_card_payment)
    # A refund booked: trade takes back its share, and ends an order with nothing left paid.
    events.subscribe(billing_events.PaymentRefunded, settlement.take_back_refund)

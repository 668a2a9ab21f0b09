"""What billing tells the domains above it, so that ``billing`` never imports them.

Billing owns the money; the orders it is paid for belong to ``trade``, one layer up. When
money moves for an order, billing publishes one of these events (``ground.events.publish``)
and the handlers the shell subscribed (``market.shell.wiring``) move the order, in the same
transaction:

- ``CardPaymentCaptured``: Stripe captured a card payment for an order (a paid Checkout
  Session). The handler locks the order, credits it (``billing.payments.record`` and
  ``credit``) and moves it on, or refuses by raising ``PaymentNotCredited``: billing then
  keeps the money out of the ledger and lists it for a refund (``billing.anomalies``).
- ``PaymentRefunded``: a refund of a payment was booked in the ledger (an admin's refund, or
  Stripe's ``charge.refunded``). The handler takes back the refunded share of what the order
  granted, and ends the order once nothing paid is left.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from billing.models import AnomalyKind
from ground.errors import Conflict


@dataclass(frozen=True)
class CardPaymentCaptured:
    """A paid Checkout Session for ``order_id``, whose PaymentIntent is not recorded yet."""

    webhook_event_id: uuid.UUID
    order_id: uuid.UUID
    payment_intent: str
    checkout_session_id: str | None
    amount_minor: int
    currency: str
    fee_bps: int  # the platform fee in force when the payment is credited


@dataclass(frozen=True)
class Payee:
    """The order an uncredited payment was meant for, as an anomaly records it."""

    order_id: uuid.UUID
    buyer_org_id: uuid.UUID
    dataset_id: uuid.UUID
    currency: str
    order_status: str


class PaymentNotCredited(Conflict):
    """A handler of ``CardPaymentCaptured`` refuses to credit the payment.

    ``kind`` set: the money was captured for an order that cannot take it (paid already,
    cancelled, wrong amount, under an emergency stop), so it is registered as an anomaly for
    ``payee``. ``kind`` unset: there is nothing to register (the payment is recorded already,
    or names no order of ours, then ``error_class`` says why).
    """

    def __init__(
        self,
        note: str,
        *,
        kind: AnomalyKind | None = None,
        payee: Payee | None = None,
        error_class: str | None = None,
    ) -> None:
        super().__init__(note)
        self.note = note
        self.kind = kind
        self.payee = payee
        self.error_class = error_class


@dataclass(frozen=True)
class PaymentRefunded:
    """``amount_minor`` of a payment went back to the buyer, booked in the ledger.

    The amounts are cumulative over the order (all its payments), so a handler computes the
    share to take back from them and a replayed refund changes nothing.
    """

    order_id: uuid.UUID
    payment_id: uuid.UUID
    amount_minor: int
    refunded_before: int  # refunded on the order before this refund
    refunded_after: int  # refunded on the order with it
    paid_net: int  # what is left paid on the order: 0 once everything went back
    actor_id: uuid.UUID | None
    reason: str

"""Stripe, through the real ``stripe`` client: Checkout Sessions out, signed webhooks in.

Nothing else in the code talks to Stripe. The API base is configurable only so tests can point
the client at a local stand-in (Stripe cannot be reached from the build machines); webhook
signatures are always verified with ``stripe.Webhook.construct_event``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import stripe

from ground.config import Settings
from ground.errors import BadRequest, Conflict, SluiceError
from ground.ops.logs import get_logger

log = get_logger(__name__)


class PaymentProviderUnavailable(SluiceError):
    status_code = 502


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None


def _require_enabled(settings: Settings) -> str:
    if not settings.stripe_enabled or settings.stripe_secret_key is None:
        raise Conflict(
            "Card payments are not enabled on this exchange; pay by bank transfer.",
            "本平台未开通银行卡支付，请使用银行转账。",
        )
    return settings.stripe_secret_key.get_secret_value()


def _client(settings: Settings) -> stripe.StripeClient:
    api_key = _require_enabled(settings)
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(api_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]


def create_checkout_session(
    settings: Settings,
    *,
    order_id: uuid.UUID,
    buyer_org_id: uuid.UUID,
    product_name: str,
    amount_minor: int,
    currency: str,
) -> CheckoutSession:
    """One Checkout Session per order (Stripe's idempotency key is the order id), carrying the
    order id in ``client_reference_id`` and metadata, which is how the webhook finds the order."""
    params: dict[str, Any] = {
        "mode": "payment",
        "client_reference_id": str(order_id),
        "metadata": {"order_id": str(order_id), "buyer_org_id": str(buyer_org_id)},
        "payment_intent_data": {"metadata": {"order_id": str(order_id)}},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": amount_minor,
                    "product_data": {"name": product_name[:250]},
                },
            }
        ],
        "success_url": settings.checkout_success_url.format(order_id=order_id),
        "cancel_url": settings.checkout_cancel_url.format(order_id=order_id),
    }
    try:
        session = _client(settings).v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"checkout-{order_id}"},
        )
    except stripe.StripeError as exc:
        _log_stripe_error("stripe checkout session failed", exc, order_id=str(order_id))
        raise PaymentProviderUnavailable(
            f"The card payment provider refused or failed: {exc.user_message or exc}",
            "银行卡支付服务暂时不可用，请稍后重试或使用银行转账。",
        ) from exc
    return CheckoutSession(id=session.id, url=session.url)


def refund(
    settings: Settings,
    *,
    payment_intent: str,
    amount_minor: int,
    order_id: str,
    idempotency_key: str | None = None,
    metadata: dict[str, str] | None = None,
) -> str:
    """Ask Stripe to refund; the ledger is written by the caller (the webhook then confirms).

    ``idempotency_key`` names one refund decision: sent again (a retry after a timeout or
    after our own transaction failed), Stripe answers with the refund it already made instead
    of refunding twice. Without one, every call is a new refund.
    """
    key = idempotency_key or f"refund-{payment_intent}-{uuid.uuid4()}"
    try:
        result = _client(settings).v1.refunds.create(
            params={
                "payment_intent": payment_intent,
                "amount": amount_minor,
                "metadata": {"order_id": order_id, **(metadata or {})},
            },
            options={"idempotency_key": key},
        )
    except stripe.StripeError as exc:
        _log_stripe_error("stripe refund failed", exc, order_id=order_id)
        raise PaymentProviderUnavailable(
            f"The card payment provider refused the refund: {exc.user_message or exc}",
            "银行卡支付服务拒绝了退款，请稍后重试。",
        ) from exc
    return str(result.id)


def verify_event(settings: Settings, payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if ``Stripe-Signature`` proves it came from Stripe recently; 400 otherwise."""
    if settings.stripe_webhook_secret is None:
        raise Conflict(
            "Stripe webhooks are not configured on this exchange.", "本平台未配置 Stripe 回调。"
        )
    if not signature:
        raise BadRequest("Missing Stripe-Signature header.", "缺少 Stripe-Signature 请求头。")
    try:
        return stripe.Webhook.construct_event(
            payload, signature, settings.stripe_webhook_secret.get_secret_value()
        )
    except stripe.SignatureVerificationError as exc:
        log.warning("stripe webhook signature does not verify")
        raise BadRequest("The webhook signature does not verify.", "回调签名校验失败。") from exc
    except ValueError as exc:
        log.warning("stripe webhook body is not JSON")
        raise BadRequest(
            "The webhook body is not valid JSON.", "回调内容不是有效的 JSON。"
        ) from exc


def _log_stripe_error(event: str, exc: stripe.StripeError, *, order_id: str) -> None:
    """Stripe's classification of the failure (class, code, HTTP status, request id), not its
    message: an operator can look the request up on Stripe's side."""
    log.warning(
        event,
        order_id=order_id,
        error_class=type(exc).__name__,
        stripe_code=exc.code,
        http_status=exc.http_status,
        stripe_request_id=exc.request_id,
    )

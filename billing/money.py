"""Money arithmetic: integer minor units only, and fee splits that never lose a fen.

Every amount is an ``int`` of minor units (fen for CNY) with an ISO 4217 currency; no float
ever touches money. The platform fee is expressed in basis points (1/100 of a percent).
"""

from __future__ import annotations

from ground.errors import BadRequest

# ISO 4217 codes we settle in, with their minor-unit exponent (JPY has no minor unit).
CURRENCIES: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "SGD": 2,
    "JPY": 0,
}
DEFAULT_CURRENCY = "CNY"
BASIS_POINTS = 10_000


def validate_currency(code: str) -> str:
    """The upper-cased code if we support it; a bilingual 400 otherwise."""
    normalized = code.strip().upper()
    if normalized not in CURRENCIES:
        supported = ", ".join(sorted(CURRENCIES))
        raise BadRequest(
            f"Unsupported currency {code!r}; use one of {supported}.",
            f"不支持的币种 {code!r}，可用币种：{supported}。",
        )
    return normalized


def fee_of(amount_minor: int, fee_bps: int) -> int:
    """The platform's fee on ``amount_minor``, rounded half up to a whole minor unit.

    Deterministic; the provider's share is the remainder, so fee + share == amount exactly.
    """
    if amount_minor < 0:
        raise ValueError("amount must not be negative")
    if not 0 <= fee_bps <= BASIS_POINTS:
        raise ValueError("fee must be between 0 and 10000 basis points")
    return (amount_minor * fee_bps + BASIS_POINTS // 2) // BASIS_POINTS


def split(amount_minor: int, fee_bps: int) -> tuple[int, int]:
    """``(platform_fee, provider_share)``; the two always add up to ``amount_minor``."""
    fee = fee_of(amount_minor, fee_bps)
    return fee, amount_minor - fee


def refund_split(
    amount_minor: int, fee_taken: int, refunded_before: int, refund_minor: int
) -> tuple[int, int]:
    """``(fee_returned, provider_share_returned)`` for a refund of ``refund_minor``.

    The fee returned is pro rata on the *cumulative* refunded amount (floored), so over any
    sequence of partial refunds it never exceeds the fee taken, equals it exactly once the
    payment is fully refunded, and never exceeds the refund itself. It uses the fee actually
    taken, not today's fee setting.
    """
    after = refunded_before + refund_minor
    if refund_minor <= 0 or refunded_before < 0 or after > amount_minor:
        raise ValueError("refund out of range")
    if not 0 <= fee_taken <= amount_minor:
        raise ValueError("fee out of range")
    fee = (fee_taken * after) // amount_minor - (fee_taken * refunded_before) // amount_minor
    return fee, refund_minor - fee


def refunded_share(total_units: int, refunded_minor: int, price_minor: int) -> int:
    """Of ``total_units`` bought for ``price_minor``, how many a cumulative refund of
    ``refunded_minor`` takes back: ``ceil(total * refunded / price)``.

    Rounded up, so what the buyer keeps, ``total - share = floor(total * (price - refunded) /
    price)``, is never more than what they still pay for. Computed on the cumulative refund,
    so a sequence of partial refunds takes back exactly what one refund of the sum would, and
    a full refund takes back everything.
    """
    if total_units < 0 or price_minor <= 0 or not 0 <= refunded_minor <= price_minor:
        raise ValueError("share out of range")
    return -((-total_units * refunded_minor) // price_minor)


def format_minor(amount_minor: int, currency: str) -> str:
    """``1234, "CNY"`` -> ``"12.34 CNY"``: for messages, never for arithmetic."""
    exponent = CURRENCIES.get(currency, 2)
    if exponent == 0:
        return f"{amount_minor} {currency}"
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 10**exponent)
    return f"{sign}{major}.{minor:0{exponent}d} {currency}"

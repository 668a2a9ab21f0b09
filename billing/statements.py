"""Provider statements: per dataset and currency, what was sold, refunded, earned and used.

Revenue figures are sums of the provider's own ledger entries in the month (never a stored
balance); usage comes from the usage events of the provider's datasets. Overage shows twice,
on purpose: as accrued (units used past quotas in the month, at their price: earned, not yet
collected) and as paid (overage invoices paid in the month: in gross and revenue, and broken
out), since an invoice may be paid in a later month than the use it bills.
"""

from __future__ import annotations

import io
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from billing.models import LedgerAccount, SaleCategory, TransactionKind
from billing.repository import LedgerRepository, UsageRepository
from billing.schemas import Statement, StatementLine
from ground.errors import BadRequest
from ground.spreadsheets import SafeDictWriter
from listings import service as listings


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` -> [first instant, first instant of the next month) in UTC."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError as exc:
        raise BadRequest(
            f"month must look like 2026-11, not {month!r}.",
            f"month 的格式应为 2026-11，而不是 {month!r}。",
        ) from exc
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


Key = tuple[uuid.UUID, str]  # (dataset, currency)
Sums = dict[Key, dict[str, int]]


def provider_statement(session: Session, provider_org_id: uuid.UUID, month: str) -> Statement:
    """Per dataset and currency: money from the ledger (overage invoices included in gross and
    revenue, and broken out), usage and the overage it accrued from the usage events."""
    start, end = month_bounds(month)
    sums: Sums = defaultdict(lambda: defaultdict(int))
    _add_sales(sums, LedgerRepository(session).month_sales(provider_org_id, start, end))
    _add_earnings(sums, LedgerRepository(session).month_earnings(provider_org_id, start, end))
    usage = UsageRepository(session)
    _add_accrued_overage(sums, usage.provider_overage(provider_org_id, start, end))
    calls = usage.provider_calls(provider_org_id, start, end)
    used_only = set(calls) - {ds for ds, _ in sums}
    titles = _titles(session, {ds for ds, _ in sums} | used_only)
    lines = [_line(key, line, titles, calls) for key, line in sums.items()]
    lines += [_usage_only_line(ds, titles, calls) for ds in used_only]
    lines.sort(key=lambda line: (line.dataset_title, str(line.dataset_id), line.currency))
    return Statement(month=month, provider_org_id=provider_org_id, lines=lines)


def _add_sales(sums: Sums, rows: Iterable[Any]) -> None:
    """Orders paid and refunds counted, and their amounts signed into gross."""
    for dataset_id, currency, kind, category, n, amount in rows:
        line = sums[(dataset_id, currency)]
        paid = TransactionKind(kind) is TransactionKind.payment
        line["orders_paid" if paid else "refunds"] += int(n)
        signed = int(amount) if paid else -int(amount)
        line["gross"] += signed
        if SaleCategory(category) is SaleCategory.overage:
            line["overage_gross"] += signed


def _add_earnings(sums: Sums, rows: Iterable[Any]) -> None:
    """The fee and the provider's share from their ledger entries."""
    for dataset_id, currency, account, category, amount in rows:
        # Credits are negative; a statement shows what was earned as positive numbers.
        line = sums[(dataset_id, currency)]
        if LedgerAccount(account) is LedgerAccount.platform_fee_revenue:
            line["fee"] += -int(amount)
            continue
        line["net"] += -int(amount)
        if SaleCategory(category) is SaleCategory.overage:
            line["overage_net"] += -int(amount)


def _add_accrued_overage(sums: Sums, rows: Iterable[Any]) -> None:
    """Overage used in the month at its price (earned, maybe not billed or paid yet)."""
    for dataset_id, currency, units, amount in rows:
        line = sums[(dataset_id, str(currency))]
        line["overage_units"] += int(units or 0)
        line["overage_accrued"] += int(amount or 0)


def _line(
    key: Key,
    line: dict[str, int],
    titles: dict[uuid.UUID, str],
    calls: dict[uuid.UUID, tuple[int, int]],
) -> StatementLine:
    ds, currency = key
    return StatementLine(
        dataset_id=ds,
        dataset_title=titles.get(ds, ""),
        currency=currency,
        orders_paid=line["orders_paid"],
        refunds=line["refunds"],
        gross_minor=line["gross"],
        platform_fee_minor=line["fee"],
        provider_revenue_minor=line["net"],
        calls=calls.get(ds, (0, 0))[0],
        rows=calls.get(ds, (0, 0))[1],
        overage_units=line["overage_units"],
        overage_accrued_minor=line["overage_accrued"],
        overage_gross_minor=line["overage_gross"],
        overage_revenue_minor=line["overage_net"],
    )


def _usage_only_line(
    ds: uuid.UUID, titles: dict[uuid.UUID, str], calls: dict[uuid.UUID, tuple[int, int]]
) -> StatementLine:
    """A dataset used in the month but with no money moving on it."""
    return StatementLine(
        dataset_id=ds,
        dataset_title=titles.get(ds, ""),
        currency="",
        orders_paid=0,
        refunds=0,
        gross_minor=0,
        platform_fee_minor=0,
        provider_revenue_minor=0,
        calls=calls[ds][0],
        rows=calls[ds][1],
    )


def _titles(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return {ds: listings.get_dataset(session, ds).title for ds in ids}


CSV_FIELDS = list(StatementLine.model_fields)


def statement_csv(statement: Statement) -> str:
    """The statement as CSV (UTF-8, one row per dataset and currency, amounts in minor units)."""
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=["month", *CSV_FIELDS])
    writer.writeheader()
    for line in statement.lines:
        writer.writerow({"month": statement.month, **line.model_dump(mode="json")})
    return buffer.getvalue()


def recent_months(today: date, count: int) -> list[str]:
    """The ``count`` months up to and including ``today``'s, oldest first (``YYYY-MM``)."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def revenue_by_month(
    session: Session, provider_org_id: uuid.UUID, months: list[str]
) -> dict[str, dict[str, int]]:
    """{currency: {month: the provider's revenue in minor units}} over ``months``, from the
    same ledger sums as the statements (a month without sales counts 0)."""
    out: dict[str, dict[str, int]] = {}
    for month in months:
        for line in provider_statement(session, provider_org_id, month).lines:
            if line.currency:
                series = out.setdefault(line.currency, dict.fromkeys(months, 0))
                series[month] += line.provider_revenue_minor
    return out

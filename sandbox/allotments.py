"""Which part of a grant a query spends: allotments, one per sandbox pack or compliance grant.

A buyer organization holds one grant per dataset, topped up by every pack it buys and every
grant compliance makes; each top-up is an allotment. A query is charged to exactly one of
them, the oldest usable one that can cover it whole (its ε, its δ and one query), like a data
API call is charged to one entitlement. That makes the charge attributable: the query's usage
is metered on the pack's entitlement, so the buyer's statement shows per pack what was used
and what is left, and a refund of one pack takes back only that pack's unspent budget.

Everything here runs under the grant's row lock (``SandboxRepository.grant_of(...,
for_update=True)``), the lock every reservation, top-up and withdrawal takes first, so the
choice and the spent sums it reads cannot change until the unit of work ends: no allotment,
and so no grant, is ever overspent, even under concurrent requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from anonymize import accountant
from sandbox.errors import BudgetExhausted, BudgetExpired, QueryCapReached
from sandbox.models import SandboxAllotment, SandboxGrant
from sandbox.repository import NOTHING_SPENT, Balance, SandboxRepository


@dataclass(frozen=True)
class Left:
    """What an allotment can still spend (units of ``anonymize.accountant``)."""

    epsilon: int
    delta: int
    queries: int

    def covers(self, epsilon_units: int, delta_units: int) -> bool:
        return self.queries >= 1 and self.epsilon >= epsilon_units and self.delta >= delta_units


def left_of(allotment: SandboxAllotment, spent: Balance) -> Left:
    return Left(
        max(allotment.epsilon_units - spent.epsilon_used, 0),
        max(allotment.delta_units - spent.delta_used, 0),
        max(allotment.queries - spent.queries, 0),
    )


def sum_left(lefts: Iterable[Left]) -> Left:
    """What several allotments have left together (a query can still use only one of them)."""
    listed = list(lefts)
    return Left(
        sum(left.epsilon for left in listed),
        sum(left.delta for left in listed),
        sum(left.queries for left in listed),
    )


def largest_epsilon(lefts: Iterable[Left]) -> int:
    """The most ε one allotment with a query left holds: the largest ε a query can be charged."""
    return max((left.epsilon for left in lefts if left.queries), default=0)


def usable(allotment: SandboxAllotment, now: datetime) -> bool:
    return allotment.valid_until is None or allotment.valid_until > now


@dataclass(frozen=True)
class Share:
    """One allotment of a grant with what it spent and has left, and whether a query can still
    be charged to it (it and its grant are within their validity)."""

    allotment: SandboxAllotment
    spent: Balance
    left: Left
    usable: bool


def shares(repo: SandboxRepository, grant: SandboxGrant, now: datetime) -> list[Share]:
    """A grant's allotments, oldest first (the order queries are charged to them), each with
    its spent and left from one grouped ledger query. A grant past its ``valid_until`` (ended
    or expired as a whole) leaves none of them usable, as ``service`` then refuses any query."""
    spent = repo.spent_by_allotment(grant.id)
    grant_open = grant.valid_until is None or grant.valid_until > now
    out = []
    for allotment in repo.allotments(grant.id):
        used = spent.get(allotment.id, NOTHING_SPENT)
        out.append(
            Share(allotment, used, left_of(allotment, used), grant_open and usable(allotment, now))
        )
    return out


def choose(
    repo: SandboxRepository,
    grant: SandboxGrant,
    epsilon_units: int,
    delta_units: int,
    now: datetime,
) -> SandboxAllotment:
    """The allotment a query of this cost is charged to (the grant's row lock is held).

    Raises ``BudgetExpired`` (403) when every allotment has expired, ``QueryCapReached`` (429)
    when no usable allotment has a query left and ``BudgetExhausted`` (402) when none has the ε
    and δ the query needs; both say what is left.
    """
    live = [(s.allotment, s.left) for s in shares(repo, grant, now) if s.usable]
    if not live:
        raise BudgetExpired()
    for allotment, left in live:
        if left.covers(epsilon_units, delta_units):
            return allotment
    total = sum_left(left for _, left in live)
    eps, delta = accountant.epsilon_from_units, accountant.delta_from_units
    text = (
        f"Budget left: ε={eps(total.epsilon):g}, δ={delta(total.delta):g}, queries={total.queries}."
    )
    text_zh = (
        f"剩余预算：ε={eps(total.epsilon):g}，δ={delta(total.delta):g}，查询次数={total.queries}。"
    )
    if total.queries == 0:
        raise QueryCapReached(
            f"The number of sandbox queries on this dataset is used up. {text}",
            f"该数据集的沙箱查询次数已用完。{text_zh}",
        )
    need, need_delta = eps(epsilon_units), delta(delta_units)
    if total.covers(epsilon_units, delta_units):
        # Enough in all, but split across packs: a query is paid from one pack, whole.
        best = largest_epsilon(left for _, left in live)
        text += f" No single pack or grant holds it: at most ε={eps(best):g} in one."
        text_zh += f"没有单个套餐或授权足够：单个最多 ε={eps(best):g}。"
    raise BudgetExhausted(
        f"Not enough privacy budget: this query needs ε={need:g}, δ={need_delta:g}. {text}",
        f"隐私预算不足：本次查询需要 ε={need:g}，δ={need_delta:g}。{text_zh}",
    )


def withdraw(
    repo: SandboxRepository,
    grant: SandboxGrant,
    allotment: SandboxAllotment,
    *,
    epsilon_units: int,
    delta_units: int,
    queries: int,
) -> None:
    """Lower an allotment (and its grant by as much) by these amounts, never below what the
    allotment has spent (the grant's row lock is held)."""
    spent = repo.spent_by_allotment(grant.id).get(allotment.id, NOTHING_SPENT)
    kept_eps = max(spent.epsilon_used, allotment.epsilon_units - epsilon_units)
    kept_delta = max(spent.delta_used, allotment.delta_units - delta_units)
    kept_queries = max(spent.queries, allotment.queries - queries)
    grant.epsilon_total_units -= allotment.epsilon_units - kept_eps
    grant.delta_total_units -= allotment.delta_units - kept_delta
    grant.max_queries -= allotment.queries - kept_queries
    allotment.epsilon_units, allotment.delta_units = kept_eps, kept_delta
    allotment.queries = kept_queries
    repo.add(allotment)
    repo.add(grant)


def entitlement_of(repo: SandboxRepository, allotment_id: uuid.UUID) -> uuid.UUID | None:
    """The entitlement whose pack a query was charged to (``None``: a compliance grant)."""
    allotment = repo.allotment(allotment_id)
    return None if allotment is None else allotment.entitlement_id

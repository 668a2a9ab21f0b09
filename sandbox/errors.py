"""Sandbox errors. Texts name budgets and constructs, never data values."""

from __future__ import annotations

from market.errors import Conflict, SluiceError


class BudgetExhausted(SluiceError):
    """Not enough ε (or δ) left on the grant for this query."""

    status_code = 402


class QueryCapReached(SluiceError):
    """The grant's number of queries is used up although ε may be left."""

    status_code = 429


class ProfileNotApproved(Conflict):
    """The dataset has no privacy profile approved by compliance."""


class QueryFailed(SluiceError):
    """The query failed while reading data; its ε stays charged."""

    status_code = 422


class QueryTimedOut(SluiceError):
    """The query ran past the time limit and was stopped; its ε stays charged."""

    status_code = 408

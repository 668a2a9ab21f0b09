"""Sandbox errors. Texts name budgets and constructs, never data values."""

from __future__ import annotations

from ground.errors import Conflict, Forbidden, SluiceError


class BudgetExhausted(SluiceError):
    """Not enough ε (or δ) left on the grant for this query."""

    status_code = 402


class BudgetExpired(Forbidden):
    """The grant (or every pack and grant in it) is past its validity."""

    def __init__(self) -> None:
        super().__init__(
            "Your sandbox budget on this dataset has expired.",
            "贵机构在该数据集上的沙箱预算已过期。",
        )


class QueryCapReached(SluiceError):
    """The grant's number of queries is used up although ε may be left."""

    status_code = 429


class ProfileNotApproved(Conflict):
    """The dataset has no privacy profile approved by compliance."""


class QueryFailed(SluiceError):
    """The query could not be answered. After data was read, every failure (engine error,
    timeout, memory limit, …) is this one error with one fixed text, and its ε stays charged:
    which failure happened could depend on the data (``sandbox.service``)."""

    status_code = 422

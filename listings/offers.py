"""What a dataset offers, as its delivery mode declares: the checks every way out makes.

Kept apart from ``listings.delivery`` (where the provider declares the mode) so that the
services that serve rows or sandbox answers can check the mode without importing the
service that changes it.
"""

from __future__ import annotations

from ground.errors import BadRequest, Conflict
from listings.models import Dataset


class RowsNotOffered(Conflict):
    """The dataset is offered through the sandbox only: no real row leaves it."""


class SandboxNotOffered(Conflict):
    """The dataset is not offered through the sandbox."""


def require_rows(dataset: Dataset) -> None:
    """Refuse to read real rows of a dataset whose provider offers the sandbox only."""
    if not dataset.delivery_mode.offers_rows:
        raise RowsNotOffered(
            "This dataset is offered through the privacy sandbox only; its rows never leave "
            "the platform (its free sample is synthetic).",
            "该数据集仅通过隐私沙箱提供，明细数据不出平台（其免费样例为合成数据）。",
        )


def require_sandbox(dataset: Dataset) -> None:
    """Refuse sandbox use (profile, grant, query) of a dataset offered as rows only."""
    if not dataset.delivery_mode.offers_sandbox:
        raise SandboxNotOffered(
            "This dataset is offered as masked rows only, not through the privacy sandbox.",
            "该数据集仅提供脱敏明细，不提供隐私沙箱。",
        )


def sandbox_not_declared(dataset: Dataset) -> BadRequest:
    """The provider's bilingual 400 for configuring the sandbox on a rows-only dataset."""
    return BadRequest(
        "This dataset's delivery mode is 'rows': it offers no sandbox. Declare 'sandbox' or "
        "'both' while it is a draft to offer one.",
        "该数据集的交付方式为“rows”（仅明细），不提供沙箱。如需提供沙箱，"
        "请在草稿阶段将交付方式声明为“sandbox”或“both”。",
    )

"""What ``listings`` tells other domains, so it never imports them.

Each event is published with ``ground.events.publish`` inside the transaction of the change, and
its subscribers (listed in ``market.shell.wiring``) run there, so neither is ever half done.
Billing creates a listed dataset's default plans when it is listed; the sandbox renames the
columns its privacy profile names when the provider renames a dataset's columns. Before a
dataset's delivery mode changes, billing checks that no plan it offers would contradict the new
mode (a subscriber refuses by raising; the unit of work then rolls back). Before a provider's
dataset is deleted, billing removes its plans and the sandbox its profile, in the same
transaction as the deletion. When a synthetic sample is made, the sandbox answers with the
dataset's declared public metadata (``PublicMetadataWanted``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from listings.models import Dataset, DeliveryMode


@dataclass(frozen=True)
class DatasetListed:
    """A dataset was listed for the first time (a policy change of a listed one is not)."""

    dataset: Dataset


@dataclass(frozen=True)
class ColumnsRenamed:
    """The provider renamed columns of ``dataset``; ``renames`` maps old names to new ones."""

    dataset: Dataset
    renames: dict[str, str]


@dataclass(frozen=True)
class DeliveryModeChanging:
    """``dataset``'s delivery mode is about to become ``mode``: a subscriber refuses the change
    by raising a ``SluiceError``."""

    dataset: Dataset
    mode: DeliveryMode


@dataclass(frozen=True)
class DatasetDeleting:
    """``dataset``'s rows are about to be deleted: a subscriber removes what its domain keeps for
    the dataset, or refuses the deletion by raising."""

    dataset: Dataset


@dataclass(frozen=True)
class DeclaredMetadata:
    """Public facts a provider declared and compliance approved (none is measured)."""

    public_domains: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class PublicMetadataWanted:
    """A synthetic sample of ``dataset`` is being made (``listings.samples``): the domain that
    keeps its declared public metadata (the sandbox's approved profile) adds it to ``found``.
    The first answer counts; with none, the sample draws on the schema and the policy alone."""

    dataset: Dataset
    found: list[DeclaredMetadata] = field(default_factory=list)


@dataclass(frozen=True)
class RevisionPublished:
    """Revision ``revision`` of listed ``dataset`` is now what buyers who follow revisions read
    (published under the approved policy, or approved by compliance). Subscribers tell the
    buyers (notifications) in the same transaction."""

    dataset: Dataset
    revision: int

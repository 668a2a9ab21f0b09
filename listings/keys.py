"""Every dataset's keys: one random secret, sealed at rest, and the keys derived from it.

The secret (32 random bytes) is stored only sealed (`ground.secretbox`: AES-256-GCM under
SLUICE_SECRETS_KEY, bound to the dataset's id), never in an API response and never in the
clear in the database. Two kinds of key come from it, for opposite needs:

- `release_key(dataset, audience)`: HMAC(secret, "buyer" | audience), one per buyer
  organization (and one for the generic "preview" audience), for pseudonyms: two buyers'
  tokens of one value differ, so they cannot join their copies.
- `cell_key(dataset)`: HMAC(secret, "cells"), one per dataset, for the per-cell perturbations
  (noise, date shifts): every viewer — each buyer, the preview, the console, providers and
  staff, the k-anonymity measurement — gets the same draw of a cell, so there are never two
  draws of one cell to average.

Rotating SLUICE_SECRETS_KEY re-seals the same secrets (`rotate`): derived keys, pseudonyms and
noise are unchanged.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field

from sqlmodel import Session

from anonymize import derive_key
from audit import service as audit
from ground.config import get_settings
from ground.secretbox import Keyring, SecretsKeyError, sealed_key_id
from listings.models import Dataset
from listings.repository import DatasetRepository

log = logging.getLogger(__name__)
PREVIEW_AUDIENCE = "preview"
SECRET_BYTES = 32
_ROTATION_BATCH = 500


def secret_context(dataset_id: uuid.UUID) -> str:
    """What a dataset's sealed secret is bound to: it opens only on this dataset's row."""
    return f"dataset:{dataset_id}:pseudonym_secret"


def new_sealed_secret(dataset_id: uuid.UUID, keyring: Keyring | None = None) -> str:
    """A fresh random secret for a new dataset, sealed under the current key."""
    ring = keyring or get_settings().secrets_keyring
    return ring.seal(secrets.token_bytes(SECRET_BYTES), context=secret_context(dataset_id))


def dataset_secret(dataset: Dataset, keyring: Keyring | None = None) -> bytes:
    """The dataset's secret, opened; `SecretsKeyError` (503) if the key is missing or wrong."""
    ring = keyring or get_settings().secrets_keyring
    try:
        secret = ring.open(dataset.pseudonym_secret, context=secret_context(dataset.id))
    except SecretsKeyError as refusal:
        log.error("dataset secret cannot be opened: %s", refusal.reason)
        raise
    if len(secret) < SECRET_BYTES:  # never key anything with a truncated secret
        raise RuntimeError(f"dataset {dataset.id} has no usable pseudonymization secret")
    return secret


def release_key(dataset: Dataset, buyer_org_id: uuid.UUID | None) -> bytes:
    """The pseudonym key of one audience: a buyer organization, or None for the generic
    preview audience (which no real organization's key equals)."""
    audience = str(buyer_org_id) if buyer_org_id is not None else PREVIEW_AUDIENCE
    return derive_key(dataset_secret(dataset), "buyer", audience)


def cell_key(dataset: Dataset) -> bytes:
    """The dataset's one key for per-cell perturbations, the same for every viewer."""
    return derive_key(dataset_secret(dataset), "cells")


@dataclass
class RotationReport:
    """What `rotate` did: values re-sealed, already current, and per key id before."""

    current_key_id: str
    resealed: int = 0
    already_current: int = 0
    before: dict[str, int] = field(default_factory=dict)


def rotate(session: Session, keyring: Keyring) -> RotationReport:
    """Re-seal every dataset's secret under the current key (the secrets themselves, and so
    every pseudonym and noisy value, stay the same). One unit of work: a value under a key
    that is not configured, or one that does not authenticate, stops the rotation with
    `SecretsKeyError` and the caller's rollback leaves every row as it was. Idempotent."""
    repo = DatasetRepository(session)
    report = RotationReport(current_key_id=keyring.current_id)
    after: uuid.UUID | None = None
    while batch := repo.sealed_secrets(after=after, limit=_ROTATION_BATCH):
        for dataset_id, sealed in batch:
            context = secret_context(dataset_id)
            kid = sealed_key_id(sealed, context=context)
            report.before[kid] = report.before.get(kid, 0) + 1
            if kid == keyring.current_id:
                report.already_current += 1
                continue
            if repo.replace_sealed_secret(
                dataset_id, sealed, keyring.reseal(sealed, context=context)
            ):
                report.resealed += 1
        after = batch[-1][0]
        session.flush()
    audit.record(
        session,
        "secrets.rotate",
        actor=None,
        details={
            "current_key_id": report.current_key_id,
            "resealed": report.resealed,
            "already_current": report.already_current,
            "before": dict(sorted(report.before.items())),
        },
    )
    return report


def key_usage(session: Session) -> dict[str, int]:
    """How many dataset secrets are sealed under each key id (unsealed values count under
    "plaintext"): what the operator checks before removing a retired key."""
    repo = DatasetRepository(session)
    usage: dict[str, int] = {}
    after: uuid.UUID | None = None
    while batch := repo.sealed_secrets(after=after, limit=_ROTATION_BATCH):
        for dataset_id, sealed in batch:
            try:
                kid = sealed_key_id(sealed, context=secret_context(dataset_id))
            except SecretsKeyError:
                kid = "plaintext"
            usage[kid] = usage.get(kid, 0) + 1
        after = batch[-1][0]
    return usage

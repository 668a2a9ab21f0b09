"""Synthetic samples of sandbox-only datasets: rows made from public metadata alone.

A sandbox-only dataset (``DeliveryMode.sandbox``) never serves a real row, masked or not. Its
free sample plan, its preview and its catalog page serve these rows instead, always labelled
synthetic. They are made by ``anonymize.public_sample.synthetic_release`` from:

- the schema: column names and coarse types (``public_view.stored_schema``);
- the released form: the approved policy (or, for its provider's own look, the draft);
- declared public metadata: the public GROUP BY domains and the numeric bounds of the
  dataset's approved sandbox profile, which buyers can read anyway
  (``GET /sandbox/profiles/{id}``). The sandbox answers an event for that metadata
  (``events.PublicMetadataWanted``), so this package does not import the sandbox.

Guarantee: nothing here opens the dataset's file; the sample's seed is a digest of the same
public metadata, so two datasets that declare the same metadata get the same sample whatever
they store. No cell carries a stored value except the values of a declared public domain.
"""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
from sqlmodel import Session

from anonymize import Policy
from anonymize.public_sample import synthetic_release
from ground.events import publish
from listings import events
from listings.events import DeclaredMetadata
from listings.models import Dataset
from listings.public_view import coarse_type, stored_schema
from listings.versions import Which, policy_of

SAMPLE_ROWS = 100  # a synthetic sample has this many rows, whatever the dataset holds


def declared_metadata(session: Session, dataset: Dataset) -> DeclaredMetadata:
    wanted = events.PublicMetadataWanted(dataset)
    publish(session, wanted)
    return wanted.found[0] if wanted.found else DeclaredMetadata()


def _seed(schema: pa.Schema, policy: Policy, declared: DeclaredMetadata) -> bytes:
    """A digest of the public metadata only: no dataset id, no secret, no value."""
    public = {
        "schema": [[f.name, coarse_type(f.type)] for f in schema],
        "policy": policy.model_dump(mode="json"),
        "domains": {k: list(v) for k, v in declared.public_domains.items()},
        "bounds": {k: list(v) for k, v in declared.bounds.items()},
    }
    text = json.dumps(public, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).digest()


def synthetic_sample(session: Session, dataset: Dataset, *, which: Which = "approved") -> pa.Table:
    """The dataset's whole synthetic sample (``SAMPLE_ROWS`` rows) in its released form."""
    policy = policy_of(dataset, which)
    schema = stored_schema(dataset)
    declared = declared_metadata(session, dataset)
    return synthetic_release(
        schema,
        policy,
        rows=SAMPLE_ROWS,
        seed=_seed(schema, policy, declared),
        public_domains=declared.public_domains,
        bounds=declared.bounds,
    )


def synthetic_rows(
    session: Session, dataset: Dataset, *, limit: int, offset: int, which: Which = "approved"
) -> pa.Table:
    """Rows ``offset`` .. ``offset + limit`` of the synthetic sample (empty past its end)."""
    sample = synthetic_sample(session, dataset, which=which)
    start = min(offset, sample.num_rows)
    return sample.slice(start, max(0, min(limit, sample.num_rows - start)))

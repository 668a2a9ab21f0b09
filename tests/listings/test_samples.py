"""Synthetic samples of sandbox-only datasets come from public metadata, never from the file."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from sqlmodel import Session

from ground.config import Settings
from listings import samples, storage
from listings.models import DeliveryMode
from sandbox import profiles
from tests.fixtures.factories import (
    SANDBOX_PROFILE,
    create_sandbox_dataset,
    principal_of,
    sandbox_table,
)


def _table(seed: int) -> pa.Table:
    """The sandbox table's shape, with values of its own."""
    return sandbox_table(seed=seed)


def test_the_sample_does_not_depend_on_stored_values(session: Session, settings: Settings) -> None:
    """Two datasets declaring the same metadata over different values: the same sample."""
    first, _, _ = create_sandbox_dataset(
        session, settings, table=_table(1), delivery_mode=DeliveryMode.sandbox
    )
    second, _, _ = create_sandbox_dataset(
        session, settings, table=_table(2), delivery_mode=DeliveryMode.sandbox
    )
    assert samples.synthetic_sample(session, first).equals(
        samples.synthetic_sample(session, second)
    )


def test_the_sample_is_made_without_opening_the_file(session: Session, settings: Settings) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings, delivery_mode=DeliveryMode.sandbox)
    before = samples.synthetic_sample(session, dataset)
    storage.resolve(settings.data_dir, dataset.file_path).unlink()
    assert samples.synthetic_sample(session, dataset).equals(before)


def test_declared_public_domains_and_bounds_shape_the_sample(
    session: Session, settings: Settings
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings, delivery_mode=DeliveryMode.sandbox)
    sample = samples.synthetic_sample(session, dataset)
    assert sample.num_rows == samples.SAMPLE_ROWS
    cities = set(sample.column("城市").to_pylist())
    assert cities <= set(SANDBOX_PROFILE["public_domains"]["城市"])
    low, high = SANDBOX_PROFILE["bounds"]["金额"]
    assert all(low <= v <= high for v in sample.column("金额").to_pylist())


def test_a_pending_declaration_is_not_public_yet(session: Session, settings: Settings) -> None:
    dataset, provider, _ = create_sandbox_dataset(
        session, settings, delivery_mode=DeliveryMode.sandbox
    )
    before = samples.synthetic_sample(session, dataset)
    revised = {**SANDBOX_PROFILE, "public_domains": {"城市": ["拉萨"]}}
    profiles.declare(session, principal_of(provider), dataset.id, revised, settings.data_dir)
    after = samples.synthetic_sample(session, dataset)
    assert "拉萨" not in after.column("城市").to_pylist()
    assert after.equals(before)


def test_pages_of_the_sample_are_slices_and_end_with_it(
    session: Session, settings: Settings
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings, delivery_mode=DeliveryMode.sandbox)
    whole = samples.synthetic_sample(session, dataset)
    page = samples.synthetic_rows(session, dataset, limit=7, offset=10)
    assert page.equals(whole.slice(10, 7))
    assert samples.synthetic_rows(session, dataset, limit=50, offset=95).num_rows == 5
    assert samples.synthetic_rows(session, dataset, limit=5, offset=10_000).num_rows == 0


def test_the_sample_holds_no_stored_value_outside_the_public_domain(
    session: Session, settings: Settings
) -> None:
    table = _table(7)
    dataset, _, _ = create_sandbox_dataset(
        session, settings, table=table, delivery_mode=DeliveryMode.sandbox
    )
    stored = {str(v) for column in table.columns for v in column.to_pylist()}
    public = {str(v) for v in SANDBOX_PROFILE["public_domains"]["城市"]}
    sample = samples.synthetic_sample(session, dataset)
    cells = {str(v) for column in sample.columns for v in column.to_pylist()}
    # Amounts and ages are drawn inside public bounds, so one may meet a stored number by
    # chance; identifiers never do, and no cell comes from the file.
    ids = {str(v) for v in table.column("身份证号").to_pylist()}
    assert cells & ids == set()
    assert set(sample.column("城市").to_pylist()) <= set(SANDBOX_PROFILE["public_domains"]["城市"])
    assert (cells & stored) - public <= {str(v) for v in np.arange(0, 10_001)}

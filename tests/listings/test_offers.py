"""Real rows of a sandbox-only dataset are refused before its file is opened."""

from __future__ import annotations

import uuid

import pyarrow as pa
import pytest
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from listings import offers, storage
from listings import service as listings
from listings.models import DeliveryMode
from tests.fixtures.factories import create_listed_dataset, csv_bytes, people_table


def test_masked_rows_of_a_sandbox_only_dataset_are_refused(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_listed_dataset(
        session, settings, provider=provider, delivery_mode=DeliveryMode.sandbox
    )
    storage.resolve(settings.data_dir, dataset.file_path).unlink()  # it is never opened
    with pytest.raises(offers.RowsNotOffered) as refused:
        listings.read_masked_rows(
            dataset, limit=5, offset=0, data_dir=settings.data_dir, buyer_org_id=uuid.uuid4()
        )
    assert refused.value.status_code == 409
    assert refused.value.detail_zh != refused.value.detail


@pytest.mark.parametrize("mode", [DeliveryMode.rows, DeliveryMode.both])
def test_datasets_that_offer_rows_serve_them(
    session: Session, settings: Settings, provider: User, mode: DeliveryMode
) -> None:
    dataset = create_listed_dataset(session, settings, provider=provider, delivery_mode=mode)
    table = listings.read_masked_rows(
        dataset, limit=5, offset=0, data_dir=settings.data_dir, buyer_org_id=uuid.uuid4()
    )
    assert table.num_rows == 5


def test_a_rows_only_dataset_refuses_the_sandbox(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_listed_dataset(
        session, settings, provider=provider, delivery_mode=DeliveryMode.rows
    )
    with pytest.raises(offers.SandboxNotOffered):
        offers.require_sandbox(dataset)
    offers.require_rows(dataset)


def test_streamed_batches_equal_the_pages_the_data_api_serves(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_listed_dataset(
        session, settings, provider=provider, content=csv_bytes(people_table(23))
    )
    buyer = uuid.uuid4()
    batches = list(
        listings.stream_masked_rows(
            dataset, buyer_org_id=buyer, data_dir=settings.data_dir, batch_rows=5
        )
    )
    assert [batch.num_rows for batch in batches] == [5, 5, 5, 5, 3]
    page = listings.read_masked_rows(
        dataset, limit=23, offset=0, data_dir=settings.data_dir, buyer_org_id=buyer
    )
    assert pa.concat_tables(batches).equals(page)


def test_a_stream_never_widens_the_released_columns(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_listed_dataset(
        session, settings, provider=provider, content=csv_bytes(people_table(4))
    )
    released = listings.read_masked_rows(
        dataset, limit=1, offset=0, data_dir=settings.data_dir, buyer_org_id=uuid.uuid4()
    ).column_names
    raw_names = [str(column["name"]) for column in dataset.columns]
    withheld = [name for name in raw_names if name not in released]
    chosen = [released[0], *withheld, "no_such_column"]
    batches = listings.stream_masked_rows(
        dataset,
        buyer_org_id=uuid.uuid4(),
        data_dir=settings.data_dir,
        batch_rows=10,
        columns=chosen,
    )
    assert [batch.column_names for batch in batches] == [[released[0]]]


def test_a_stream_of_a_sandbox_only_dataset_is_refused_before_reading(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_listed_dataset(
        session, settings, provider=provider, delivery_mode=DeliveryMode.sandbox
    )
    storage.resolve(settings.data_dir, dataset.file_path).unlink()
    with pytest.raises(offers.RowsNotOffered):
        listings.stream_masked_rows(
            dataset, buyer_org_id=uuid.uuid4(), data_dir=settings.data_dir, batch_rows=10
        )

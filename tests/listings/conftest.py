"""Fixtures of the listings tests."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from accounts.models import Role, User
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.factories import create_dataset, create_user


@pytest.fixture
def provider(session: Session) -> User:
    """A provider, committed so requests see it."""
    user = create_user(session, role=Role.provider)
    session.commit()
    return user


@pytest.fixture
def draft(session: Session, settings: Settings, provider: User) -> Dataset:
    """An uploaded, profiled dataset of ``provider``'s, committed (a file that needs its draft
    prepared otherwise defines its own)."""
    dataset = create_dataset(session, settings, provider=provider)
    session.commit()
    return dataset

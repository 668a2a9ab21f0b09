"""Fixtures of the listings tests."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from accounts.models import Role, User
from tests.fixtures.factories import create_user


@pytest.fixture
def provider(session: Session) -> User:
    """A provider, committed so requests see it."""
    user = create_user(session, role=Role.provider)
    session.commit()
    return user

"""Fixtures of the attack suite: an outsider with the operator's admin account."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role
from ground.config import Settings
from tests.attacks.harness import Outsider
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_user


@pytest.fixture
def outsider(client: TestClient, session: Session, settings: Settings) -> Outsider:
    """The platform operator is the one account made behind HTTP; the rest is the API."""
    admin = create_user(session, role=Role.admin)
    session.commit()
    return Outsider(client, bearer(admin, settings))

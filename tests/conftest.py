"""Shared fixtures: see tests/fixtures/."""

import functools
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from accounts import security
from market.shell.wiring import wire

wire()

# Tests never assert wall-clock times: hypothesis's per-example deadline (200 ms) is one, and a
# loaded CI machine misses it. Examples stay bounded by max_examples, not by the clock.
hypothesis_settings.register_profile("sluice", deadline=None)
hypothesis_settings.load_profile("sluice")


@pytest.fixture(scope="session", autouse=True)
def _hash_each_password_once() -> Iterator[None]:
    """Real argon2 hashes, but each distinct test password is hashed once per run: factories
    create hundreds of users with the same password, and argon2 is slow by design."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "hash_password", functools.cache(security.hash_password))
        yield


pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.settings",
    "tests.fixtures.client",
    "tests.fixtures.logs",
    "tests.fixtures.people",
    "tests.fixtures.stripe",
    "tests.fixtures.worker",
]

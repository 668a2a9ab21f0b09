"""Shared fixtures: see tests/fixtures/."""

from market.domains import load_domains

load_domains()

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.settings",
    "tests.fixtures.client",
    "tests.fixtures.stripe",
]

"""The API keeps the promises of its OpenAPI document, checked by schemathesis for every role.

Each operation of the document gets generated requests (the document's own examples, then
fuzzed ones, a fixed number per operation, derandomized so every run sends the same requests),
and each request is sent as every role: anonymous, provider, buyer (bearer token and data API
key), compliance and admin. A seeded world — a listed dataset with an approved sandbox profile,
a buyer holding an entitlement, budget and an API key — gives half of the generated path
parameters real ids, so requests reach the services instead of stopping at a 404. Every
response must be no server error, have a documented status and content type, and match the
documented schema. ``SLUICE_TEST_CONTRACT_EXAMPLES`` sets the examples per operation (valid
and invalid ones); ``SLUICE_TEST_CONTRACT_COVERAGE=1`` adds schemathesis's coverage phase.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from accounts.models import Role, User
from ground.config import Settings
from market.shell.app import create_app
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    activate_plan,
    create_api_key,
    create_sandbox_buyer,
    create_sandbox_dataset,
    create_user,
)

EXAMPLES = int(os.environ.get("SLUICE_TEST_CONTRACT_EXAMPLES", "8"))
# The coverage phase (boundary and invalid values of every parameter) finds nothing the fuzzing
# misses today but takes about five times as long, so it runs only when asked.
COVERAGE = os.environ.get("SLUICE_TEST_CONTRACT_COVERAGE", "") == "1"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261203,
        "generation": {
            "max-examples": EXAMPLES,
            "mode": "all",
            "deterministic": True,
            "database": "none",
            "with-security-parameters": False,
        },
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": COVERAGE}},
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(), config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ROLES = ("anonymous", "provider", "buyer", "buyer-api-key", "compliance", "admin")


@dataclass
class World:
    """The seeded marketplace of one test: real ids for path parameters, headers per role."""

    ids: dict[str, str]
    headers: dict[str, dict[str, str]]


# The world of the running test, read by the path-parameter hook (hooks get no fixtures).
_current: list[World] = []


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """Either the generated parameters or the same with every known name set to a seeded id."""
    if not _current or not path_parameters:
        return st.just(path_parameters)
    ids = _current[-1].ids
    seeded = {name: ids.get(name, value) for name, value in path_parameters.items()}
    return st.sampled_from([seeded, path_parameters])


def _headers(settings: Settings, **users: User) -> dict[str, dict[str, str]]:
    return {role.replace("_", "-"): bearer(user, settings) for role, user in users.items()}


@pytest.fixture
def world(session: Session, settings: Settings) -> Iterator[World]:
    dataset, provider, reviewer = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset)
    order, entitlement = activate_plan(session, buyer, dataset, provider)
    admin = create_user(session, role=Role.admin)
    bystander = create_user(session, role=Role.buyer)
    secret = create_api_key(session, buyer)
    headers = _headers(settings, provider=provider, buyer=buyer, compliance=reviewer, admin=admin)
    headers["anonymous"] = {}
    headers["buyer-api-key"] = {"X-API-Key": secret}
    world = World(
        ids={
            "dataset_id": str(dataset.id),
            "order_id": str(order.id),
            "entitlement_id": str(entitlement.id),
            "plan_id": str(order.plan_id),
            "user_id": str(bystander.id),
        },
        headers=headers,
    )
    _current.append(world)
    yield world
    _current.remove(world)


@schema.parametrize()
@hypothesis.settings(
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.filter_too_much,
    ]
)
def test_api_keeps_its_openapi_document(case: schemathesis.Case, world: World) -> None:
    for role in ROLES:
        case.call_and_validate(headers=world.headers[role], checks=CHECKS)

"""The idempotency ground: key rules, claims, replays, expiry, the sweep, and its wiring.

The attacks through the real API are in ``tests/attacks/test_idempotency.py``; here the parts
are checked on their own, and a small app of the test's own shows what the real routes cannot
be made to do on demand (a 5xx, a 429).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from accounts.dependencies import api_key_principal, current_principal
from ground.db import unit_of_work, utcnow
from ground.dependencies import SessionDep
from ground.errors import QuotaExhausted, install_error_handlers
from ground.idempotency import repository, service
from ground.idempotency.models import IdempotencyRecord
from ground.idempotency.route import IdempotentRoute, IdempotentWrite, idempotent_write
from ground.idempotency.tasks import sweep_expired
from ground.ops.scope import note_principal
from market.console.session import optional_user
from tests.fixtures.client import all_routes

TTL = timedelta(hours=1)
OWNER = f"user:{uuid.uuid4()}"


def _begin(session: Session, key: str, body: str = "{}", owner: str = OWNER) -> Any:
    fp = service.fingerprint("POST", "/api/v1/orders", owner, body)
    return service.begin(
        session, owner=owner, key=key, fingerprint=fp, method="POST", path="/x", ttl=TTL
    )


def _completed(key: str, body: bytes = b'{"id": 1}') -> None:
    with unit_of_work() as session:
        record = _begin(session, key)
        service.complete(session, record, service.StoredResponse(201, body, {"x": "y"}))


@pytest.mark.parametrize("key", ["a", "x" * 255, str(uuid.uuid4()), "~ !key with spaces"])
def test_a_key_of_printable_ascii_up_to_255_characters_is_accepted(key: str) -> None:
    assert service.check_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "clé", "nul\x00"])
def test_any_other_key_is_refused_with_a_bilingual_400(key: str) -> None:
    with pytest.raises(service.InvalidIdempotencyKey) as refused:
        service.check_key(key)
    assert refused.value.status_code == 400
    assert refused.value.detail != refused.value.detail_zh


def test_the_fingerprint_covers_method_path_principal_and_body() -> None:
    base = ("POST", "/api/v1/orders", "user:a", "digest")
    variants = [
        ("PUT", *base[1:]),
        (base[0], "/api/v1/api-keys", *base[2:]),
        (*base[:2], "user:b", base[3]),
        (*base[:3], "other"),
    ]
    assert len({service.fingerprint(*v) for v in [base, *variants]}) == 5


def test_the_first_response_is_replayed_and_stored_sealed(connection: Any) -> None:
    _completed("k1", b'{"secret": "sk_live_visible_once"}')
    with unit_of_work() as session:
        replay = _begin(session, "k1")
        raw = session.execute(text("SELECT response_body FROM idempotency_record")).scalar_one()
    assert replay == service.StoredResponse(201, b'{"secret": "sk_live_visible_once"}', {"x": "y"})
    assert "sk_live_visible_once" not in raw


def test_the_same_key_with_another_request_is_a_409(connection: Any) -> None:
    _completed("k2")
    with unit_of_work() as session, pytest.raises(service.IdempotencyKeyReused):
        _begin(session, "k2", body="another body")


def test_a_key_held_by_a_unit_of_work_still_running_is_in_flight(connection: Any) -> None:
    with unit_of_work() as first:
        record = _begin(first, "k3")
        with unit_of_work() as second, pytest.raises(service.IdempotencyKeyInFlight) as busy:
            _begin(second, "k3")
        service.complete(first, record, service.StoredResponse(201, b"{}", {}))
    assert busy.value.response_headers() == {"Retry-After": "1"}
    with unit_of_work() as session:  # released when the first unit of work ended
        assert isinstance(_begin(session, "k3"), service.StoredResponse)


def test_a_rolled_back_claim_leaves_no_key(connection: Any, session: Session) -> None:
    def failing_write() -> None:
        with unit_of_work() as work:
            _begin(work, "k4")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        failing_write()
    assert repository.find(session, OWNER, "k4") is None


def test_an_expired_key_is_a_new_request_and_the_sweep_deletes_only_expired_keys(
    connection: Any, session: Session
) -> None:
    _completed("old")
    _completed("fresh")
    with unit_of_work() as work:
        old = repository.find(work, OWNER, "old")
        assert old is not None
        old.expires_at = utcnow() - timedelta(seconds=1)
        work.add(old)
    with unit_of_work() as work:
        assert isinstance(_begin(work, "old", body="now another body"), IdempotencyRecord)
        work.rollback()
    old = repository.find(session, OWNER, "old")
    assert old is not None
    session.refresh(old)
    assert sweep_expired.run() == {"deleted": 1}
    session.expire_all()
    assert repository.find(session, OWNER, "old") is None
    assert repository.find(session, OWNER, "fresh") is not None


# ----- the route class, on an app of the test's own ----------------------------------------


def _principal(request: Request) -> str:
    note_principal(request, "test-user")
    return "test-user"


Principal = Annotated[str, Depends(_principal)]


@pytest.fixture
def toy(connection: Any) -> Iterator[tuple[TestClient, list[str]]]:
    """POST /fail answers 500 the first time, then 201; POST /quota always 429."""
    calls: list[str] = []
    router = APIRouter(route_class=IdempotentRoute)

    @router.post("/fail", status_code=201)
    def fail_once(who: Principal, _: IdempotentWrite, session: SessionDep) -> dict[str, int]:
        calls.append("fail")
        if calls.count("fail") == 1:
            raise RuntimeError("a bug")
        return {"n": len(calls)}

    @router.post("/quota")
    def quota(who: Principal, _: IdempotentWrite, session: SessionDep) -> None:
        calls.append("quota")
        raise QuotaExhausted("Quota used up.", "配额已用完。")

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, calls


def test_a_5xx_releases_the_key_so_the_retry_runs(toy: tuple[TestClient, list[str]]) -> None:
    client, calls = toy
    headers = {"Idempotency-Key": "retry-me"}
    assert client.post("/fail", headers=headers).status_code == 500
    retried = client.post("/fail", headers=headers)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    replayed = client.post("/fail", headers=headers)
    assert replayed.json() == retried.json()
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert calls == ["fail", "fail"]


def test_a_429_is_not_stored_so_a_later_retry_runs(toy: tuple[TestClient, list[str]]) -> None:
    client, calls = toy
    for _ in range(2):
        response = client.post("/quota", headers={"Idempotency-Key": "later"})
        assert response.status_code == 429
        assert "Idempotent-Replayed" not in response.headers
    assert calls == ["quota", "quota"]


# ----- wiring of the real app ---------------------------------------------------------------

_PRINCIPALS = {current_principal, api_key_principal, optional_user}


def _resolves_principal(dependant: Any) -> bool:
    return dependant.call in _PRINCIPALS or any(
        _resolves_principal(d) for d in dependant.dependencies
    )


def _idempotent_routes(app: FastAPI) -> Iterator[APIRoute]:
    for route in all_routes(app.routes):
        if isinstance(route, APIRoute) and any(
            d.call is idempotent_write for d in route.dependant.dependencies
        ):
            yield route


def test_every_idempotent_route_stores_its_response_and_follows_its_principal(
    app: FastAPI,
) -> None:
    routes = list(_idempotent_routes(app))
    assert len(routes) >= 14
    for route in routes:
        assert isinstance(route, IdempotentRoute), route.path
        calls = [d.call for d in route.dependant.dependencies]
        position = calls.index(idempotent_write)
        before = route.dependant.dependencies[:position]
        assert any(_resolves_principal(d) for d in before), route.path


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/orders"),
        ("post", "/api/v1/orders/{order_id}/checkout"),
        ("post", "/api/v1/orders/{order_id}/bank-transfers"),
        ("post", "/api/v1/orders/{order_id}/refunds"),
        ("post", "/api/v1/entitlements/{entitlement_id}/overage-invoice"),
        ("post", "/api/v1/datasets"),
        ("post", "/api/v1/datasets/{dataset_id}/plans"),
        ("post", "/api/v1/datasets/{dataset_id}/attachments"),
        ("post", "/api/v1/api-keys"),
        ("post", "/api/v1/organizations"),
        ("post", "/api/v1/users"),
        ("post", "/api/v1/sandbox/queries"),
        ("post", "/api/v1/sandbox/grants"),
        ("post", "/api/v1/reviews/emergency-stop"),
        ("post", "/api/v1/billing/payments/anomalies/{anomaly_id}/refund"),
    ],
)
def test_the_document_describes_the_key_its_409_and_replays(
    app: FastAPI, method: str, path: str
) -> None:
    operation = app.openapi()["paths"][path][method]
    names = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert "Idempotency-Key" in names
    assert "IdempotencyKeyReused" in operation["responses"]["409"]["description"]
    success = next(r for code, r in operation["responses"].items() if code.startswith("2"))
    assert "Idempotent-Replayed" in success["headers"]

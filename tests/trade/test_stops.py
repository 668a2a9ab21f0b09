"""Standing emergency stops (trade/stops.py): which scope a stop covers, the audited
refusal every door gets, placing and lifting, and the API that lists and lifts them.

The doors themselves are attacked through HTTP in tests/attacks/test_emergency_stop.py; the
race between a stop and a payment is in tests/trade/test_stops_races.py.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from accounts import service as accounts
from accounts.models import Role, User
from audit.models import AuditRecord
from billing.models import PlanKind
from billing.service import plans_for
from ground.config import Settings
from ground.db import unit_of_work
from ground.errors import BadRequest, Conflict, NotFound
from listings.models import DataGrade, Dataset
from sandbox.models import SandboxGrant
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_listed_dataset,
    create_order,
    create_user,
    principal_of,
)
from trade import revocation, states, stops
from trade import service as trade
from trade.models import (
    EmergencyStop,
    Entitlement,
    EntitlementStatus,
    Order,
    OrderKind,
    OrderStatus,
)
from trade.stop_repository import scope_lock_key

STOPS = "/api/v1/reviews/emergency-stops"


def _stop(
    session: Session,
    reviewer: User,
    *,
    buyer: User | None = None,
    dataset: Dataset | None = None,
    reason: str = "内部调查：疑似数据外泄",
) -> EmergencyStop:
    return revocation.emergency_stop(
        session,
        principal_of(reviewer),
        buyer_org_id=buyer.organization_id if buyer else None,
        dataset_id=dataset.id if dataset else None,
        reason=reason,
    )


def _refused(session: Session, buyer: User, dataset: Dataset | None) -> uuid.UUID | None:
    """The id of the stop that refuses the buyer on the dataset (None: the buyer as a whole),
    or None if nothing does."""
    try:
        stops.enforce(
            session,
            buyer_org_id=buyer.organization_id,
            dataset_id=None if dataset is None else dataset.id,
            door=stops.Door.data_rows,
            actor=principal_of(buyer),
        )
    except stops.EmergencyStopped as refusal:
        return refusal.stop_id
    return None


@pytest.fixture
def other_dataset(session: Session, settings: Settings, provider: User) -> Dataset:
    return create_listed_dataset(session, settings, provider=provider)


def test_a_stop_on_a_buyer_covers_all_its_datasets_and_its_keys_and_nobody_else(
    session: Session, reviewer: User, buyer: User, listed: Dataset, other_dataset: Dataset
) -> None:
    bystander = create_user(session, role=Role.buyer)
    stop = _stop(session, reviewer, buyer=buyer)
    assert _refused(session, buyer, listed) == stop.id
    assert _refused(session, buyer, other_dataset) == stop.id
    assert _refused(session, buyer, None) == stop.id  # no new API key
    assert _refused(session, bystander, listed) is None


def test_a_stop_on_a_dataset_covers_every_buyer_there_but_not_their_keys(
    session: Session, reviewer: User, buyer: User, listed: Dataset, other_dataset: Dataset
) -> None:
    second_buyer = create_user(session, role=Role.buyer)
    stop = _stop(session, reviewer, dataset=listed)
    assert _refused(session, buyer, listed) == _refused(session, second_buyer, listed) == stop.id
    assert _refused(session, buyer, other_dataset) is None
    assert _refused(session, buyer, None) is None  # its keys still serve other datasets


def test_a_stop_on_a_buyer_on_a_dataset_covers_only_that_pair(
    session: Session, reviewer: User, buyer: User, listed: Dataset, other_dataset: Dataset
) -> None:
    second_buyer = create_user(session, role=Role.buyer)
    stop = _stop(session, reviewer, buyer=buyer, dataset=listed)
    assert _refused(session, buyer, listed) == stop.id
    assert _refused(session, buyer, other_dataset) is None
    assert _refused(session, second_buyer, listed) is None
    assert _refused(session, buyer, None) is None


def test_a_lifted_stop_refuses_nothing_and_what_it_revoked_stays_revoked(
    session: Session, reviewer: User, buyer: User, listed: Dataset
) -> None:
    order, _ = trade.place_order(
        session,
        principal_of(buyer),
        dataset_id=listed.id,
        plan_id=plans_for(session, listed.id)[0].id,
        usage_scenario="对账",
    )
    stop = _stop(session, reviewer, buyer=buyer)
    assert stop.revoked_count == 1
    lifted = stops.lift(session, principal_of(reviewer), stop.id, "  调查结束  ")
    assert (lifted.status, lifted.lift_reason, lifted.lifted_by_id) == (
        "lifted",
        "调查结束",
        reviewer.id,
    )
    assert _refused(session, buyer, listed) is None
    entitlement = trade.entitlement_of(session, order)
    assert entitlement is not None
    session.refresh(entitlement)
    assert entitlement.status is EntitlementStatus.revoked


def test_a_refusal_is_audited_with_the_stop_and_the_door_though_its_request_rolls_back(
    session: Session, reviewer: User, buyer: User, listed: Dataset
) -> None:
    stop = _stop(session, reviewer, buyer=buyer)
    session.commit()
    with pytest.raises(stops.EmergencyStopped), unit_of_work() as request:
        stops.enforce(
            request,
            buyer_org_id=buyer.organization_id,
            dataset_id=listed.id,
            door=stops.Door.sandbox_query,
            actor=principal_of(buyer),
        )
    [record] = session.exec(select(AuditRecord).where(AuditRecord.action == stops.REFUSED)).all()
    assert (record.subject_id, record.dataset_id, record.actor_user_id) == (
        stop.id,
        listed.id,
        buyer.id,
    )
    assert record.details["door"] == "sandbox.query"
    assert record.details["stop_id"] == str(stop.id)


def test_the_refusal_names_the_stop_in_both_languages_but_not_the_internal_reason(
    session: Session, reviewer: User, buyer: User, listed: Dataset
) -> None:
    stop = _stop(session, reviewer, dataset=listed, reason="供应方举报：买方甲转售数据")
    refusal = stops.EmergencyStopped(stop)
    assert refusal.status_code == 403
    assert str(stop.id) in refusal.detail
    assert str(stop.id) in refusal.detail_zh
    assert "this dataset" in refusal.detail
    assert "该数据集" in refusal.detail_zh
    assert "audit log" in refusal.detail
    assert "审计日志" in refusal.detail_zh
    assert "转售" not in refusal.detail + refusal.detail_zh


def test_a_stop_needs_a_scope_that_exists(session: Session, reviewer: User) -> None:
    with pytest.raises(BadRequest):
        revocation.emergency_stop(
            session, principal_of(reviewer), buyer_org_id=None, dataset_id=None, reason="x"
        )
    for scope in ({"buyer_org_id": uuid.uuid4()}, {"dataset_id": uuid.uuid4()}):
        with pytest.raises(NotFound):
            revocation.emergency_stop(
                session,
                principal_of(reviewer),
                **{"buyer_org_id": None, "dataset_id": None, **scope},
                reason="x",
            )
    assert session.exec(select(EmergencyStop)).all() == []


def test_a_second_stop_on_the_same_scope_is_refused_but_overlapping_ones_stand(
    session: Session, reviewer: User, buyer: User, listed: Dataset
) -> None:
    first = _stop(session, reviewer, buyer=buyer)
    with pytest.raises(Conflict) as twice:
        _stop(session, reviewer, buyer=buyer)
    assert str(first.id) in twice.value.detail
    narrow = _stop(session, reviewer, buyer=buyer, dataset=listed)
    stops.lift(session, principal_of(reviewer), first.id, "范围缩小")
    # The narrower stop still stands on its own.
    assert _refused(session, buyer, listed) == narrow.id
    again = _stop(session, reviewer, buyer=buyer)  # a lifted stop does not block a new one
    assert again.id != first.id


def test_lifting_twice_or_without_a_reason_or_an_unknown_stop_is_refused(
    session: Session, reviewer: User, buyer: User
) -> None:
    stop = _stop(session, reviewer, buyer=buyer)
    with pytest.raises(BadRequest):
        stops.lift(session, principal_of(reviewer), stop.id, "   ")
    assert stop.lifted_at is None
    stops.lift(session, principal_of(reviewer), stop.id, "结束")
    with pytest.raises(Conflict):
        stops.lift(session, principal_of(reviewer), stop.id, "再次")
    with pytest.raises(NotFound):
        stops.lift(session, principal_of(reviewer), uuid.uuid4(), "未知")


def test_a_stopped_buyer_gets_no_new_api_key(
    session: Session, reviewer: User, buyer: User, listed: Dataset
) -> None:
    _stop(session, reviewer, buyer=buyer, dataset=listed)
    accounts.create_api_key(session, principal_of(buyer), "one dataset stopped: keys still serve")
    _stop(session, reviewer, buyer=buyer)
    with pytest.raises(stops.EmergencyStopped):
        accounts.create_api_key(session, principal_of(buyer), "refused")


def test_activation_under_a_stop_is_refused_and_grants_no_sandbox_budget(
    session: Session, settings: Settings, reviewer: User, provider: User, buyer: User
) -> None:
    dataset = create_listed_dataset(session, settings, provider=provider)
    order = create_order(session, buyer, dataset, provider, kind=PlanKind.sandbox_pack, calls=3)
    states.transition(session, order, OrderStatus.paid)
    _stop(session, reviewer, dataset=dataset)
    with pytest.raises(stops.EmergencyStopped):
        trade.activate(session, order, actor_id=None)
    assert session.exec(select(Entitlement).where(Entitlement.order_id == order.id)).all() == []
    assert session.exec(select(SandboxGrant)).all() == []


def test_an_order_under_review_cannot_be_approved_under_a_stop(
    session: Session, settings: Settings, reviewer: User, provider: User, buyer: User
) -> None:
    dataset = create_listed_dataset(
        session,
        settings,
        provider=provider,
        reviewer=reviewer,
        grade=DataGrade.important,
        level=None,
    )
    order = create_order(session, buyer, dataset, provider)
    assert order.status is OrderStatus.pending_review
    _stop(session, reviewer, buyer=buyer)
    with pytest.raises(stops.EmergencyStopped):
        trade.approve_order(session, principal_of(reviewer), order.id, "ok")
    session.refresh(order)
    assert order.status is OrderStatus.pending_review


def test_an_overage_invoice_is_not_held_back(
    session: Session, reviewer: User, buyer: User, listed: Dataset
) -> None:
    _stop(session, reviewer, buyer=buyer)
    invoice = Order(
        kind=OrderKind.overage,
        buyer_org_id=buyer.organization_id,
        buyer_user_id=buyer.id,
        dataset_id=listed.id,
        plan_id=uuid.uuid4(),
        usage_scenario="超额",
        status=OrderStatus.awaiting_payment,
        price_minor=300,
        currency="CNY",
    )
    stops.enforce_for_order(session, invoice, door=stops.Door.checkout, lock=True)
    purchase = invoice.model_copy(update={"kind": OrderKind.purchase})
    with pytest.raises(stops.EmergencyStopped):
        stops.enforce_for_order(session, purchase, door=stops.Door.checkout)


def test_scope_lock_keys_are_stable_distinct_signed_64_bit_integers() -> None:
    ids = [uuid.uuid4() for _ in range(200)]
    keys = [scope_lock_key(i) for i in ids]
    assert keys == [scope_lock_key(i) for i in ids]
    assert len(set(keys)) == len(ids)
    assert all(-(2**63) <= k < 2**63 for k in keys)


# ----- the API ------------------------------------------------------------------------------


def test_compliance_lists_stops_by_status_buyer_and_dataset_newest_first(
    client: TestClient,
    session: Session,
    settings: Settings,
    reviewer: User,
    buyer: User,
    listed: Dataset,
) -> None:
    other_buyer = create_user(session, role=Role.buyer)
    session.commit()
    headers = bearer(reviewer, settings)
    placed = []
    for scope in (
        {"buyer_org_id": str(buyer.organization_id)},
        {"dataset_id": str(listed.id)},
        {"buyer_org_id": str(other_buyer.organization_id), "dataset_id": str(listed.id)},
    ):
        response = client.post(
            "/api/v1/reviews/emergency-stop", headers=headers, json={**scope, "reason": "调查"}
        )
        assert response.status_code == 200, response.text
        placed.append(response.json()["id"])
    lifted = client.post(f"{STOPS}/{placed[0]}/lift", headers=headers, json={"reason": "结束"})
    assert lifted.status_code == 200, lifted.text

    def ids(**params: object) -> list[str]:
        response = client.get(STOPS, headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["items"]]

    assert set(ids()) == set(placed)
    assert set(ids(status="active")) == set(placed[1:])
    assert ids(status="lifted") == [placed[0]]
    assert set(ids(dataset_id=str(listed.id))) == set(placed[1:])
    assert ids(buyer_org_id=str(other_buyer.organization_id)) == [placed[2]]
    page = client.get(STOPS, headers=headers, params={"limit": 1, "offset": 1}).json()
    assert (len(page["items"]), page["total"]) == (1, 3)
    one = client.get(f"{STOPS}/{placed[0]}", headers=headers).json()
    assert (one["status"], one["lift_reason"]) == ("lifted", "结束")
    assert client.get(STOPS, headers=headers, params={"status": "gone"}).status_code == 422


def test_lifting_through_the_api_needs_a_reason_and_happens_once(
    client: TestClient, session: Session, settings: Settings, reviewer: User, buyer: User
) -> None:
    session.commit()
    headers = bearer(reviewer, settings)
    stop = client.post(
        "/api/v1/reviews/emergency-stop",
        headers=headers,
        json={"buyer_org_id": str(buyer.organization_id), "reason": "调查"},
    ).json()
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        refused = client.post(f"{STOPS}/{stop['id']}/lift", headers=headers, json=body)
        assert refused.status_code == 422, body
    assert client.get(f"{STOPS}/{stop['id']}", headers=headers).json()["status"] == "active"
    assert (
        client.post(f"{STOPS}/{stop['id']}/lift", headers=headers, json={"reason": "结束"}).json()[
            "status"
        ]
        == "lifted"
    )
    twice = client.post(f"{STOPS}/{stop['id']}/lift", headers=headers, json={"reason": "再次"})
    assert twice.status_code == 409
    assert twice.json()["detail_zh"]
    unknown = client.post(f"{STOPS}/{uuid.uuid4()}/lift", headers=headers, json={"reason": "x"})
    assert unknown.status_code == 404
    actions = session.exec(
        select(AuditRecord.action).where(col(AuditRecord.subject_id) == uuid.UUID(stop["id"]))
    ).all()
    assert sorted(actions) == ["entitlement.emergency_stop", stops.LIFTED]

"""Sandbox queries metered on the sandbox pack they spend: the buyer's per-entitlement statement
shows each pack's ε and queries used and left, and ``GET /usage`` the ε per day and dataset.

Packs are bought and paid through the API (a bank transfer recorded by an admin); queries run
through ``POST /sandbox/queries``. A query is paid from one pack, the oldest usable one that can
cover it whole.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing.models import PlanKind
from ground.config import Settings
from ground.db import utcnow
from sandbox import service as sandbox_service
from tests.fixtures.client import bearer, pay_by_transfer
from tests.fixtures.factories import create_plan, create_sandbox_dataset, create_user, place_order

QUERIES = "/api/v1/sandbox/queries"


class Market:
    """A sandbox dataset, its provider, a buyer and an admin who records bank transfers."""

    def __init__(self, client: TestClient, session: Session, settings: Settings) -> None:
        self.client, self.session, self.settings = client, session, settings
        self.dataset, self.provider, _ = create_sandbox_dataset(session, settings)
        self.buyer = create_user(session, role=Role.buyer)
        self.admin = create_user(session, role=Role.admin)
        self.headers = bearer(self.buyer, settings)

    def buy_pack(self, *, epsilon: float, queries: int, valid_days: int | None = None) -> str:
        """Order a sandbox pack, pay it by transfer; the entitlement id."""
        plan = create_plan(
            self.session,
            self.dataset,
            provider=self.provider,
            kind=PlanKind.sandbox_pack,
            price_minor=1_000,
            calls=queries,
            epsilon=epsilon,
            delta=1e-5,
            valid_days=valid_days,
        )
        order = place_order(self.session, self.buyer, self.dataset, plan)
        self.session.commit()
        paid = pay_by_transfer(self.client, self.admin, self.settings, order.id, 1_000)
        assert paid["status"] == "active", paid
        [statement] = [s for s in self.statements() if s["order_id"] == str(order.id)]
        return str(statement["entitlement_id"])

    def query(self, sql: str, epsilon: float) -> dict:
        response = self.client.post(
            QUERIES,
            json={"dataset_id": str(self.dataset.id), "sql": sql, "epsilon": epsilon},
            headers=self.headers,
        )
        return {**response.json(), "http_status": response.status_code}

    def statements(self) -> list[dict]:
        response = self.client.get("/api/v1/entitlements", headers=self.headers)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def statement(self, entitlement_id: str) -> dict:
        response = self.client.get(f"/api/v1/entitlements/{entitlement_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def usage_today(self) -> list[dict]:
        today = datetime.now(UTC).date().isoformat()
        response = self.client.get(
            "/api/v1/usage", params={"since": today, "until": today}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return list(response.json()["days"])


def _used_and_left(statement: dict) -> tuple[float, float | None, int, int]:
    return (
        statement["epsilon_used"],
        statement["epsilon_left"],
        statement["units_used"],
        statement["quota_remaining"],
    )


@pytest.fixture
def market(client: TestClient, session: Session, settings: Settings) -> Market:
    return Market(client, session, settings)


def test_queries_are_metered_on_the_pack_and_its_statement_shows_used_and_left(
    market: Market,
) -> None:
    pack = market.buy_pack(epsilon=2.0, queries=5)
    for sql, eps in [
        ("SELECT COUNT(*) AS n FROM dataset", 0.5),
        ("SELECT SUM(金额) AS total FROM dataset", 0.3),
        ("SELECT 城市, COUNT(*) AS n FROM dataset GROUP BY 城市", 0.2),
    ]:
        answered = market.query(sql, eps)
        assert answered["http_status"] == 200, answered
    # The stored answer of a repeated query costs nothing and is not metered again.
    again = market.query("SELECT COUNT(*) AS n FROM dataset", 0.5)
    assert again["stored_answer"] is True

    statement = market.statement(pack)
    assert statement["quota_unit"] == "queries"
    assert (statement["epsilon_total"], statement["quota_total"]) == (2.0, 5)
    assert _used_and_left(statement) == (1.0, 1.0, 3, 2)
    assert statement["calls_used"] == 3
    assert statement["paid_minor"] == 1_000
    [today] = market.usage_today()
    assert (today["dataset_id"], today["calls"]) == (str(market.dataset.id), 3)
    assert today["epsilon"] == pytest.approx(1.0)


def test_refused_queries_record_no_usage(market: Market) -> None:
    pack = market.buy_pack(epsilon=1.0, queries=5)
    assert market.query("SELECT COUNT(*) AS n FROM dataset", 0.7)["http_status"] == 200
    over_budget = market.query("SELECT SUM(金额) AS total FROM dataset", 0.5)
    assert over_budget["http_status"] == 402, over_budget
    assert "ε=0.3" in over_budget["detail"]
    assert over_budget["detail_zh"]
    hostile = market.query("SELECT * FROM read_csv('/etc/passwd')", 0.1)
    assert hostile["http_status"] in (400, 422), hostile

    assert _used_and_left(market.statement(pack)) == (0.7, 0.3, 1, 4)
    [today] = market.usage_today()
    assert today["calls"] == 1
    assert today["epsilon"] == pytest.approx(0.7)
    ledger = market.client.get("/api/v1/sandbox/ledger", headers=market.headers).json()
    assert sorted(e["kind"] for e in ledger["items"]) == ["commit", "reserve"]


def test_each_query_is_charged_to_the_oldest_pack_that_can_pay_it(market: Market) -> None:
    first = market.buy_pack(epsilon=1.0, queries=5)
    second = market.buy_pack(epsilon=2.0, queries=5)
    assert market.query("SELECT COUNT(*) AS a FROM dataset", 0.6)["http_status"] == 200
    # 0.4 left in the first pack: this one is paid by the second, whole.
    assert market.query("SELECT COUNT(*) AS b FROM dataset", 0.6)["http_status"] == 200
    # Exactly what the first pack has left: it pays.
    assert market.query("SELECT COUNT(*) AS c FROM dataset", 0.4)["http_status"] == 200

    assert _used_and_left(market.statement(first)) == (1.0, 0.0, 2, 3)
    assert _used_and_left(market.statement(second)) == (0.6, 1.4, 1, 4)
    budget = market.client.get("/api/v1/sandbox/budget", headers=market.headers).json()
    [grant] = budget["items"]
    assert (grant["epsilon_total"], grant["epsilon_spent"], grant["queries_used"]) == (3.0, 1.6, 3)

    # 1.4 left in all, in one pack: a query of 1.5 is refused and says why.
    refused = market.query("SELECT COUNT(*) AS d FROM dataset", 1.5)
    assert refused["http_status"] == 402
    assert "ε=1.4" in refused["detail"]
    assert _used_and_left(market.statement(second)) == (0.6, 1.4, 1, 4)


def test_a_query_split_across_packs_is_refused_with_the_largest_share(market: Market) -> None:
    first = market.buy_pack(epsilon=1.0, queries=5)
    second = market.buy_pack(epsilon=1.0, queries=5)
    assert market.query("SELECT COUNT(*) AS a FROM dataset", 0.6)["http_status"] == 200
    assert market.query("SELECT COUNT(*) AS b FROM dataset", 0.5)["http_status"] == 200
    # 0.4 + 0.5 left: enough in all, but a query is paid from one pack.
    refused = market.query("SELECT COUNT(*) AS c FROM dataset", 0.8)
    assert refused["http_status"] == 402
    assert "at most ε=0.5 in one" in refused["detail"]
    assert "ε=0.5" in refused["detail_zh"]
    assert _used_and_left(market.statement(first)) == (0.6, 0.4, 1, 4)
    assert _used_and_left(market.statement(second)) == (0.5, 0.5, 1, 4)


def test_an_expired_pack_pays_no_more_queries(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = market.buy_pack(epsilon=1.0, queries=5, valid_days=1)
    long = market.buy_pack(epsilon=1.0, queries=5, valid_days=60)
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(sandbox_service, "utcnow", lambda: later)
    assert market.query("SELECT COUNT(*) AS n FROM dataset", 0.3)["http_status"] == 200
    assert _used_and_left(market.statement(short)) == (0.0, 1.0, 0, 5)
    assert _used_and_left(market.statement(long)) == (0.3, 0.7, 1, 4)


def test_a_shorter_pack_bought_later_does_not_end_an_older_longer_one(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    long = market.buy_pack(epsilon=1.0, queries=5, valid_days=60)
    market.buy_pack(epsilon=1.0, queries=5, valid_days=1)
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(sandbox_service, "utcnow", lambda: later)
    assert market.query("SELECT COUNT(*) AS n FROM dataset", 0.3)["http_status"] == 200
    assert _used_and_left(market.statement(long)) == (0.3, 0.7, 1, 4)


def test_a_query_count_used_up_is_429_and_the_statement_shows_none_left(
    market: Market,
) -> None:
    pack = market.buy_pack(epsilon=2.0, queries=2)
    assert market.query("SELECT COUNT(*) AS a FROM dataset", 0.1)["http_status"] == 200
    assert market.query("SELECT COUNT(*) AS b FROM dataset", 0.1)["http_status"] == 200
    capped = market.query("SELECT COUNT(*) AS c FROM dataset", 0.1)
    assert capped["http_status"] == 429
    assert capped["detail_zh"]
    assert _used_and_left(market.statement(pack)) == (0.2, 1.8, 2, 0)


def test_a_compliance_grant_is_metered_without_an_entitlement(
    market: Market, reviewer: User
) -> None:
    grant = market.client.post(
        "/api/v1/sandbox/grants",
        json={
            "buyer_org_id": str(market.buyer.organization_id),
            "dataset_id": str(market.dataset.id),
            "epsilon": 1.0,
        },
        headers=bearer(reviewer, market.settings),
    )
    assert grant.status_code == 201, grant.text
    pack = market.buy_pack(epsilon=1.0, queries=5)
    # The grant is older than the pack: it pays first, and the pack stays untouched.
    assert market.query("SELECT COUNT(*) AS n FROM dataset", 0.4)["http_status"] == 200
    assert _used_and_left(market.statement(pack)) == (0.0, 1.0, 0, 5)
    [today] = market.usage_today()
    assert today["epsilon"] == pytest.approx(0.4)


def test_a_pack_bought_after_an_emergency_stop_is_lifted_does_not_revive_the_stopped_ones(
    market: Market, reviewer: User
) -> None:
    """Changed with standing stops: a pack can no longer be bought while the stop stands
    (tests/attacks/test_emergency_stop.py), so this one is bought after the stop is lifted."""
    stopped = market.buy_pack(epsilon=1.0, queries=5)
    as_reviewer = bearer(reviewer, market.settings)
    stop = market.client.post(
        "/api/v1/reviews/emergency-stop",
        headers=as_reviewer,
        json={"buyer_org_id": str(market.buyer.organization_id), "reason": "异常访问"},
    )
    assert stop.status_code == 200, stop.text
    assert market.query("SELECT COUNT(*) AS a FROM dataset", 0.3)["http_status"] == 403
    lifted = market.client.post(
        f"/api/v1/reviews/emergency-stops/{stop.json()['id']}/lift",
        headers=as_reviewer,
        json={"reason": "调查结束"},
    )
    assert lifted.status_code == 200, lifted.text
    # Lifting restores nothing: the stopped pack's budget stays ended.
    ended = market.query("SELECT COUNT(*) AS c FROM dataset", 0.3)
    assert ended["http_status"] == 403, ended
    fresh = market.buy_pack(epsilon=1.0, queries=5)
    assert market.query("SELECT COUNT(*) AS b FROM dataset", 0.3)["http_status"] == 200
    assert _used_and_left(market.statement(stopped)) == (0.0, 1.0, 0, 5)
    assert _used_and_left(market.statement(fresh)) == (0.3, 0.7, 1, 4)


def test_revoking_one_pack_ends_its_budget_and_leaves_the_others(
    market: Market, reviewer: User
) -> None:
    revoked = market.buy_pack(epsilon=1.0, queries=5)
    kept = market.buy_pack(epsilon=1.0, queries=5)
    response = market.client.post(
        f"/api/v1/reviews/entitlements/{revoked}/revoke",
        headers=bearer(reviewer, market.settings),
        json={"reason": "超出申报场景"},
    )
    assert response.status_code == 200, response.text
    # The older pack would pay first; revoked, it pays nothing and the other pack serves.
    assert market.query("SELECT COUNT(*) AS n FROM dataset", 0.3)["http_status"] == 200
    assert _used_and_left(market.statement(revoked)) == (0.0, 1.0, 0, 5)
    assert _used_and_left(market.statement(kept)) == (0.3, 0.7, 1, 4)
    response = market.client.post(
        f"/api/v1/reviews/entitlements/{kept}/revoke",
        headers=bearer(reviewer, market.settings),
        json={"reason": "超出申报场景"},
    )
    assert response.status_code == 200, response.text
    refused = market.query("SELECT COUNT(*) AS m FROM dataset", 0.3)
    assert refused["http_status"] == 403, refused
    assert _used_and_left(market.statement(kept)) == (0.3, 0.7, 1, 4)


def _budget(market: Market) -> dict:
    response = market.client.get("/api/v1/sandbox/budget", headers=market.headers)
    assert response.status_code == 200, response.text
    [budget] = response.json()["items"]
    return dict(budget)


def test_the_budget_leaves_out_a_revoked_packs_leftover_and_reports_it_as_lapsed(
    market: Market, reviewer: User
) -> None:
    revoked = market.buy_pack(epsilon=1.0, queries=5)
    kept = market.buy_pack(epsilon=2.0, queries=5)
    assert market.query("SELECT COUNT(*) AS n FROM dataset", 0.3)["http_status"] == 200
    response = market.client.post(
        f"/api/v1/reviews/entitlements/{revoked}/revoke",
        headers=bearer(reviewer, market.settings),
        json={"reason": "超出申报场景"},
    )
    assert response.status_code == 200, response.text

    budget = _budget(market)
    assert (budget["epsilon_total"], budget["epsilon_spent"]) == pytest.approx((3.0, 0.3))
    # Only the kept pack can still be spent; the revoked pack's 0.7 and 4 queries lapsed.
    assert (budget["epsilon_left"], budget["queries_left"]) == (pytest.approx(2.0), 5)
    assert (budget["epsilon_lapsed"], budget["queries_lapsed"]) == (pytest.approx(0.7), 4)
    assert budget["delta_lapsed"] == pytest.approx(1e-5)
    assert budget["epsilon_max_single_query"] == pytest.approx(2.0)
    first, second = budget["allotments"]
    assert (first["entitlement_id"], first["usable"]) == (revoked, False)
    assert (first["epsilon_spent"], first["epsilon_left"]) == pytest.approx((0.3, 0.7))
    assert (first["queries_used"], first["queries_left"]) == (1, 4)
    assert (second["entitlement_id"], second["usable"]) == (kept, True)
    assert (second["epsilon_total"], second["epsilon_left"]) == pytest.approx((2.0, 2.0))
    # What the budget says is left is what queries can spend: the lapsed 0.7 is not.
    assert market.query("SELECT COUNT(*) AS a FROM dataset", 2.0)["http_status"] == 200
    after = _budget(market)
    assert (after["epsilon_left"], after["epsilon_lapsed"]) == pytest.approx((0.0, 0.7))
    assert market.query("SELECT COUNT(*) AS b FROM dataset", 0.1)["http_status"] == 402


def test_the_budget_leaves_out_an_expired_packs_leftover(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = market.buy_pack(epsilon=1.0, queries=5, valid_days=1)
    market.buy_pack(epsilon=2.0, queries=3, valid_days=60)
    assert _budget(market)["epsilon_left"] == pytest.approx(3.0)
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(sandbox_service, "utcnow", lambda: later)

    budget = _budget(market)
    assert (budget["epsilon_left"], budget["queries_left"]) == (pytest.approx(2.0), 3)
    assert (budget["epsilon_lapsed"], budget["queries_lapsed"]) == (pytest.approx(1.0), 5)
    assert [(a["entitlement_id"] == short, a["usable"]) for a in budget["allotments"]] == [
        (True, False),
        (False, True),
    ]


def test_the_budget_says_the_most_one_query_can_spend_when_the_left_is_split(
    market: Market,
) -> None:
    market.buy_pack(epsilon=1.0, queries=5)
    market.buy_pack(epsilon=1.0, queries=5)
    assert market.query("SELECT COUNT(*) AS a FROM dataset", 0.6)["http_status"] == 200
    assert market.query("SELECT COUNT(*) AS b FROM dataset", 0.5)["http_status"] == 200

    budget = _budget(market)
    assert budget["epsilon_left"] == pytest.approx(0.9)
    assert budget["epsilon_lapsed"] == 0.0
    assert budget["epsilon_max_single_query"] == pytest.approx(0.5)
    # 0.9 is left in all, but the next query can be charged at most 0.5.
    assert market.query("SELECT COUNT(*) AS c FROM dataset", 0.6)["http_status"] == 402
    assert market.query("SELECT COUNT(*) AS d FROM dataset", 0.5)["http_status"] == 200

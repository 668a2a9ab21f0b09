"""An outsider probes the operations endpoints: /metrics, /readyz, /healthz, X-Request-ID.

The metrics are business figures (rows served, ε spent); the probes know the database and
the broker. An outsider must get none of the figures, no configuration from a probe, and no
label or echoed header carrying text they chose.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ground.config import Settings
from tests.attacks.harness import Outsider, assert_absent
from tests.fixtures.settings import apply_settings

TOKEN = "operators-scrape-token-0123456789"
VALUE = "110105199003071234"


def test_an_outsider_cannot_scrape_metrics_without_a_token_configured(
    outsider: Outsider,
) -> None:
    buyer = outsider.account("buyer")
    for headers in ({}, buyer.headers, {"X-Forwarded-For": "127.0.0.1"}, {"Host": "localhost"}):
        response = outsider.client.get("/metrics", headers=headers)
        assert response.status_code == 403, headers
        assert "sluice_" not in response.text


def test_an_outsider_cannot_scrape_metrics_with_a_token_configured(
    outsider: Outsider, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_settings(monkeypatch, metrics_token=TOKEN)
    admin = outsider.admin_headers
    attempts = [
        {},
        admin,
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ]
    for headers in attempts:
        response = outsider.client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert "sluice_" not in response.text
        assert_absent(response.text, [TOKEN], where="refusal")


def test_what_an_outsider_sends_never_becomes_a_metric_label(
    outsider: Outsider, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_settings(monkeypatch, metrics_token=TOKEN)
    client = outsider.client
    client.get(f"/api/v1/data/{VALUE}/rows")
    client.get(f"/{VALUE}")
    client.request("PURGE", f"/api/v1/catalog?q={VALUE}")
    client.get("/healthz", headers={"X-Request-ID": VALUE})
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert_absent(text, [VALUE], where="metrics")


def test_probes_reveal_no_configuration(
    outsider: Outsider, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_settings(
        monkeypatch,
        database_url="postgresql+psycopg://sluice:db-password-42@127.0.0.1:1/hidden_test",
        metrics_token=TOKEN,
    )
    for path in ("/healthz", "/readyz"):
        response = outsider.client.get(path)
        assert_absent(
            response.text,
            ["db-password-42", "hidden_test", "127.0.0.1", "sluice:", TOKEN, settings.jwt_key()],
            where=path,
        )
    assert outsider.client.get("/readyz").status_code == 503


@pytest.mark.parametrize(
    "chosen",
    [VALUE, f"{VALUE}\r\nSet-Cookie: x=1", "<img src=x>", "a" * 500, "13812345678"],
)
def test_a_request_id_the_outsider_chose_is_not_echoed_unless_it_is_an_id(
    client: TestClient, chosen: str
) -> None:
    response = client.get("/api/v1/me", headers={"X-Request-ID": chosen.replace("\r\n", " ")})
    assert response.status_code == 401
    assert_absent(response.headers.get("X-Request-ID", ""), [VALUE, "13812345678", "<img"])
    assert_absent(response.text, [VALUE, "13812345678", "<img", "Set-Cookie"], where="body")
    assert response.json()["request_id"] == response.headers["X-Request-ID"]

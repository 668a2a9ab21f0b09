"""An outsider tries to get data values and secrets into the operator's logs.

Logs leave the platform (a collector, an on-call laptop), so a value written there has left
through an exit no policy approved. The attacks drive the API as users do, with data of their
own, while the process logs at DEBUG in JSON (the most any deployment prints); afterwards no
raw value they uploaded, no password, token or API key may appear in any line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from anonymize import synthetic
from tests.attacks.harness import PASSWORD, Account, Outsider, assert_absent, csv_of
from tests.fixtures.logs import LogOutput

HEADER = ["姓名", "身份证号", "手机号", "金额"]
PROFILE = {"privacy_unit": "身份证号", "max_rows_per_person": 1, "bounds": {"金额": [0, 1000]}}


def _people(seed: int, n: int = 30) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    names = synthetic.chinese_names(rng, n)
    ids = synthetic.resident_ids(rng, n)
    phones = synthetic.mobiles(rng, n)
    return [[names[i], ids[i], phones[i], str(100 + i)] for i in range(n)]


def _values(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row[:3]]


@dataclass
class Market:
    provider: Account
    compliance: Account
    buyer: Account
    dataset: str
    rows: list[list[str]]


@pytest.fixture
def market(outsider: Outsider) -> Market:
    """A provider's listed dataset of fresh people, and a buyer holding its free sample."""
    provider = outsider.account("provider", org_kind="government")
    compliance = outsider.account("compliance")
    buyer = outsider.account("buyer")
    rows = _people(seed=2031)
    dataset = outsider.uploaded(provider, csv_of([HEADER, *rows]))
    outsider.list_dataset(provider, compliance, dataset["id"])
    assert outsider.order_free_sample(buyer, dataset["id"]).status_code == 201
    return Market(provider, compliance, buyer, dataset["id"], rows)


def test_reading_rows_leaves_no_value_key_or_token_in_the_logs(
    outsider: Outsider, market: Market, log_output: LogOutput
) -> None:
    buyer = market.buyer
    response = outsider.rows(buyer, market.dataset, limit=30)
    assert response.status_code == 200, response.text
    assert log_output.events("request"), "the attack must run with logging on"
    secrets = [
        *_values(market.rows),
        outsider.api_key(buyer),
        buyer.headers["Authorization"].split()[1],
        PASSWORD,
    ]
    assert_absent(log_output.text, secrets, where="log lines")


def test_failed_sign_ins_never_log_the_password_tried(
    outsider: Outsider, log_output: LogOutput
) -> None:
    buyer = outsider.account("buyer")
    tried = [f"guess-{n}-Zq8!pw" for n in range(12)]
    for password in tried:
        outsider.client.post(
            "/api/v1/auth/token", data={"username": buyer.email, "password": password}
        )
    outsider.client.get("/console/login")  # the form sets its CSRF cookie, as in a browser
    console = outsider.client.post(
        "/console/login",
        data={
            "email": buyer.email,
            "password": "console-guess-Zq8!pw",
            "csrf_token": outsider.client.cookies["sluice_csrf"],
        },
    )
    assert console.status_code == 429, console.text
    assert log_output.events("sign-in throttled")
    assert log_output.events("console sign-in refused")
    assert_absent(log_output.text, [*tried, "console-guess-Zq8!pw", PASSWORD], where="log lines")


def test_values_in_paths_queries_headers_and_bodies_stay_out_of_the_logs(
    outsider: Outsider, market: Market, log_output: LogOutput
) -> None:
    """Every place a client can put text: an unknown path, a query string, a request id, a
    header, a JSON body and a form that fail validation, sandbox SQL quoting a value."""
    buyer = market.buyer
    value = market.rows[0][1]
    key = outsider.api_key(buyer)
    client = outsider.client
    client.get(f"/api/v1/data/{value}/rows")
    client.get(f"/api/v1/catalog?q={value}", headers=buyer.headers)
    client.get("/healthz", headers={"X-Request-ID": value, "X-Forwarded-For": value})
    client.get("/healthz", headers={"X-Request-ID": f"{key}"})
    client.get(f"/api/v1/data/{market.dataset}/rows", headers={"X-API-Key": value})
    client.post("/api/v1/orders", headers=buyer.headers, json={"dataset_id": value})
    client.post("/api/v1/auth/token", data={"username": value, "password": value})
    outsider.sandbox_ready(market.provider, market.compliance, buyer, market.dataset, PROFILE)
    counted = outsider.query(
        buyer, market.dataset, f"SELECT COUNT(*) FROM dataset WHERE 身份证号 = '{value}'"
    )
    assert counted.status_code == 200, counted.text
    refused = outsider.query(buyer, market.dataset, f"SELECT '{value}' FROM dataset; DROP x")
    assert refused.status_code == 400, refused.text
    assert_absent(log_output.text, [value, key], where="log lines")


def test_a_malformed_upload_logs_its_error_class_not_the_row_it_quotes(
    outsider: Outsider, log_output: LogOutput
) -> None:
    provider = outsider.account("provider")
    rows = _people(seed=77, n=3)
    broken = csv_of([HEADER, *rows]) + f"{rows[0][1]},extra,fields,too,many\n".encode()
    response = outsider.upload(provider, broken)
    assert response.status_code == 422, response.text
    [line] = [r for r in log_output.events("request") if r["status"] == 422]
    assert line["error"] == "InvalidFile"
    assert_absent(log_output.text, _values(rows), where="log lines")


def test_every_line_of_a_request_carries_its_id(
    outsider: Outsider, market: Market, log_output: LogOutput
) -> None:
    response = outsider.client.get(
        f"/api/v1/data/{market.dataset}/rows",
        headers={
            "X-API-Key": outsider.api_key(market.buyer),
            "X-Request-ID": "7ace000000000077",
        },
    )
    assert response.headers["X-Request-ID"] == "7ace000000000077"
    mine = [line for line in log_output.lines() if line.get("request_id") == "7ace000000000077"]
    assert [line["event"] for line in mine][-1] == "request"

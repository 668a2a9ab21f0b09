"""Attack: learn whether one person is in a sandbox dataset, or their income, from whether a
query fails, how it fails, or what it costs — outside the DP noise.

The attacker writes a WHERE clause that only the target's row satisfies and makes the rest of
the query fail *on that row only*: a cast of their name to a number, a date literal DuckDB
parses only when a row reaches it, a division by their income minus a guess, an overflow, a
group count one above the cap. If the answer's status, body or charge differed between a
dataset with the target and one without (or with another income), 16 such queries bisect an
income at any ε. Each attack uploads two datasets of its own that differ in the target's row
only, lists them for the sandbox, and compares the *outcome class* of every query: status,
body without the request id (for answers, their shape, since the values are noisy) and ε
charged. They must be identical.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from anonymize.synthetic import chinese_names, resident_ids
from ground.config import Settings
from sandbox import engine
from tests.attacks.harness import Outsider, csv_of
from tests.fixtures.settings import apply_settings

PEOPLE = 40
PROFILE = {
    "privacy_unit": "身份证号",
    "max_rows_per_person": 1,
    "bounds": {"收入": [0, 200_000]},
    "public_domains": {"城市": ["北京", "上海"]},
}
Outcome = tuple[int, str, float]


class Worlds:
    """Datasets that differ in one person's row, and a buyer with budget on each."""

    def __init__(self, outsider: Outsider, **worlds: int | None) -> None:
        self.outsider = outsider
        provider, compliance = outsider.account("provider"), outsider.account("compliance")
        self.buyer = outsider.account("buyer")
        rng = np.random.default_rng(secrets.randbits(64))
        ids = resident_ids(rng, PEOPLE + 1)
        self.target, others = ids[0], ids[1:]
        base = list(
            zip(
                chinese_names(rng, PEOPLE),
                others,
                rng.integers(1_000, 150_000, PEOPLE).tolist(),
                [f"19{rng.integers(50, 99)}-0{rng.integers(1, 9)}-1{i % 9}" for i in range(PEOPLE)],
                rng.choice(["北京", "上海"], PEOPLE).tolist(),
                strict=True,
            )
        )
        header = ["姓名", "身份证号", "收入", "出生日期", "城市"]
        self.ids: dict[str, str] = {}
        for name, income in worlds.items():
            rows: list[tuple[object, ...]] = list(base)
            if income is not None:
                rows.insert(PEOPLE // 2, ("王小明", self.target, income, "1980-05-17", "北京"))
            dataset = outsider.uploaded(
                provider, csv_of([header, *rows]), title=f"Oracle {name}", delivery_mode="sandbox"
            )
            outsider.list_dataset(provider, compliance, dataset["id"])
            outsider.sandbox_ready(provider, compliance, self.buyer, dataset["id"], PROFILE)
            self.ids[name] = dataset["id"]

    def outcome(self, world: str, sql: str) -> Outcome:
        """Status, body without request id (an answer's shape only) and ε charged."""
        dataset_id = self.ids[world]
        before = self._spent(dataset_id)
        response = self.outsider.query(self.buyer, dataset_id, sql, epsilon=0.1)
        charged = round(self._spent(dataset_id) - before, 9)
        body: Any = response.json()
        if response.status_code == 200:
            result = body["result"]
            body = ["answer", body["status"], result["columns"], result["grouping"]]
        else:
            body.pop("request_id", None)
        return response.status_code, json.dumps(body, ensure_ascii=False, sort_keys=True), charged

    def assert_same(self, sql: str, *worlds: str) -> Outcome:
        names = worlds or tuple(self.ids)
        outcomes = {w: self.outcome(w, sql.format(target=self.target)) for w in names}
        first = outcomes[names[0]]
        assert all(o == first for o in outcomes.values()), outcomes
        return first

    def _spent(self, dataset_id: str) -> float:
        budgets = self.outsider.get(self.buyer, "/api/v1/sandbox/budget")["items"]
        (budget,) = [b for b in budgets if b["dataset_id"] == dataset_id]
        return float(budget["epsilon_spent"])


def _presence(outsider: Outsider) -> Worlds:
    return Worlds(outsider, absent=None, present=1_000)


TARGET = "身份证号 = '{target}'"

CAST_ORACLES = [
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND CAST(姓名 AS INTEGER) > 0",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND TRY_CAST(姓名 AS INTEGER) IS NULL",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 姓名::DATE > '2000-01-01'",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND CAST(收入 AS TINYINT) > 0",
]
TYPE_ORACLES = [
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 收入 > 'abc'",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 姓名 = 5",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 出生日期 = '2024-13-45'",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 出生日期 IN ('1980-05-17', 'x')",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 出生日期 = 姓名",
]
ARITHMETIC_ORACLES = [
    # division by zero exactly when the target's income is 1000
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 收入 / (收入 - 1000) > 0",
    f"SELECT avg(收入 / 2) FROM dataset WHERE {TARGET} AND 1 / (收入 - 1000) < 1",
    # overflow: DOUBLE gives inf; a DECIMAL literal product would raise
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 收入 * 1e300 * 1e300 > 0",
    f"SELECT count(*) FROM dataset WHERE {TARGET} "
    "AND 9999999999999998.0 * 9999999999999998.0 * 9999999999999998.0 > 收入",
    f"SELECT sum(收入 * 10) FROM dataset WHERE {TARGET} AND -收入 * 1e308 < 0",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 收入 % 0 = 1",
]
STRING_ORACLES = [
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND lower(姓名) LIKE '%\\'",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND upper(姓名) ILIKE '_小%'",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND substr(姓名, 5, 1) = 'x'",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND regexp_matches(姓名, '(')",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 姓名 SIMILAR TO '('",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND strptime(姓名, '%Y') IS NULL",
]
DATE_ORACLES = [
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 出生日期 + INTERVAL 9999999 YEAR > 出生日期",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND date_add(出生日期, 9999999) IS NULL",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 出生日期 > '9999-12-31'",
    f"SELECT count(*) FROM dataset WHERE {TARGET} AND 出生日期 > DATE '1980-02-30'",
]


@pytest.mark.parametrize(
    "oracles",
    [CAST_ORACLES, TYPE_ORACLES, STRING_ORACLES, DATE_ORACLES],
    ids=["value-dependent casts", "type mismatches", "string and regex", "date arithmetic"],
)
def test_presence_is_not_told_by_casts_types_strings_or_dates(
    outsider: Outsider, oracles: list[str]
) -> None:
    worlds = _presence(outsider)
    for sql in oracles:
        worlds.assert_same(sql)


def test_ill_typed_oracles_are_refused_before_reading_and_cost_nothing(outsider: Outsider) -> None:
    worlds = _presence(outsider)
    for sql in [*CAST_ORACLES, *TYPE_ORACLES, DATE_ORACLES[0], DATE_ORACLES[-1]]:
        status, body, charged = worlds.assert_same(sql)
        assert (status, charged) == (400, 0), (sql, body)
        assert json.loads(body)["detail_zh"]


def test_income_is_not_told_by_division_by_zero_or_overflow(outsider: Outsider) -> None:
    """Three datasets: without the target, with income 1000 (the guess), with 100000."""
    worlds = Worlds(outsider, absent=None, guessed=1_000, other=100_000)
    for sql in ARITHMETIC_ORACLES:
        worlds.assert_same(sql)


def test_presence_is_not_told_by_the_number_of_groups(
    outsider: Outsider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap is set to the number of groups without the target: with them, one more group.
    The query once failed only then ("too many groups")."""
    apply_settings(monkeypatch, sandbox_max_groups=str(PEOPLE))
    worlds = _presence(outsider)
    status, _, charged = worlds.assert_same(
        "SELECT 身份证号, count(*) AS n FROM dataset GROUP BY 身份证号"
    )
    assert (status, charged) == (200, 0.1)
    worlds.assert_same("SELECT 姓名, 出生日期, count(*) FROM dataset GROUP BY 姓名, 出生日期")


def _failing_when_present(
    target: str, present: Exception, absent: Exception
) -> Callable[..., None]:
    """An engine that fails one way when the target's row is in the file, another way when
    not: what a value-dependent engine error, timeout or memory failure would look like."""

    def stream(path: Path, *_args: object, **_kwargs: object) -> None:
        with duckdb.connect() as con:
            ((hits,),) = con.execute(
                'SELECT count(*) FROM read_parquet(?) WHERE "身份证号" = ?', [str(path), target]
            ).fetchall()
        raise present if hits else absent

    return stream


@pytest.mark.parametrize(
    ("present", "absent"),
    [
        (engine.ExecutionTimedOut("time limit"), engine.ExecutionFailed("engine error")),
        (MemoryError(), engine.ExecutionTimedOut("time limit")),
        (duckdb.ConversionException("Could not convert '{target}'"), OverflowError()),
    ],
    ids=["timeout vs engine error", "memory vs timeout", "conversion vs overflow"],
)
def test_the_kind_of_failure_after_reading_is_not_told(
    outsider: Outsider,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    present: Exception,
    absent: Exception,
) -> None:
    worlds = _presence(outsider)
    monkeypatch.setattr(engine, "stream", _failing_when_present(worlds.target, present, absent))
    status, body, charged = worlds.assert_same("SELECT count(*) FROM dataset")
    assert (status, charged) == (422, 0.1)
    assert worlds.target not in body
    listed = outsider.get(worlds.buyer, "/api/v1/sandbox/queries")["items"]
    assert {(q["status"], q["error"]) for q in listed} == {("failed", "failed")}

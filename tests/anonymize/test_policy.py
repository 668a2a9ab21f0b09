import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from anonymize.detect import ColumnDetection, ColumnKind
from anonymize.policy import (
    ColumnRule,
    MissingKey,
    Policy,
    Sensitivity,
    apply_policy,
    default_rule,
    propose_policy,
)


def _table() -> pa.Table:
    schema = pa.schema(
        [
            ("name", pa.string()),
            ("id_card", pa.string()),
            ("mobile", pa.int64()),
            ("city", pa.string()),
            ("notes", pa.string()),
        ],
        metadata={"raw_min": "110105199001011234"},
    )
    return pa.table(
        [
            ["张三", None],
            ["110105199001011234", "310104198512120021"],
            [13812345678, 8613912345678],
            ["北京", "上海"],
            ["vip", "call after 6pm"],
        ],
        schema=schema,
    )


POLICY = Policy(
    columns={
        "city": ColumnRule(operator="keep"),
        "mobile": ColumnRule(operator="mask", keep_first=3, keep_last=4, normalize="mobile"),
        "name": ColumnRule(operator="mask_name"),
        "id_card": ColumnRule(operator="drop"),
    }
)


def test_unlisted_columns_are_dropped_and_order_is_kept() -> None:
    result = apply_policy(_table(), POLICY)
    assert result.column_names == ["name", "mobile", "city"]


def test_rules_are_applied_per_column() -> None:
    assert apply_policy(_table(), POLICY).to_pylist() == [
        {"name": "张*", "mobile": "138****5678", "city": "北京"},
        {"name": None, "mobile": "139****5678", "city": "上海"},
    ]


def test_redact_rule_uses_its_replacement() -> None:
    policy = Policy(columns={"notes": ColumnRule(operator="redact", replacement="<hidden>")})
    assert apply_policy(_table(), policy).column("notes").to_pylist() == ["<hidden>"] * 2


def test_dropping_every_column_keeps_the_row_count() -> None:
    result = apply_policy(_table(), Policy(columns={}))
    assert (result.num_columns, result.num_rows) == (0, 2)


def test_schema_metadata_of_the_raw_table_is_not_carried_over() -> None:
    assert apply_policy(_table(), POLICY).schema.metadata is None


def test_rules_for_absent_columns_are_ignored() -> None:
    policy = Policy(
        columns={"city": ColumnRule(operator="keep"), "gone": ColumnRule(operator="redact")}
    )
    assert apply_policy(_table(), policy).column_names == ["city"]


def test_policy_round_trips_through_json() -> None:
    assert Policy.model_validate_json(POLICY.model_dump_json()) == POLICY


@pytest.mark.parametrize(
    "rule",
    [
        {"operator": "mask", "keep_first": -1},
        {"operator": "shuffle"},
        {"operator": "keep", "keep_frist": 2},
        {"operator": "mask", "mask_char": "**"},
    ],
)
def test_invalid_rules_are_rejected(rule: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ColumnRule.model_validate(rule)


@pytest.mark.parametrize(
    ("kind", "operator", "keep_first", "keep_last"),
    [
        (ColumnKind.RESIDENT_ID, "mask", 6, 4),
        (ColumnKind.MOBILE, "mask", 3, 4),
        (ColumnKind.NAME, "mask_name", 0, 0),
        (ColumnKind.USCC, "mask", 8, 0),
        (ColumnKind.OTHER, "keep", 0, 0),
    ],
)
def test_default_rules(kind: ColumnKind, operator: str, keep_first: int, keep_last: int) -> None:
    rule = default_rule(kind)
    assert (rule.operator, rule.keep_first, rule.keep_last) == (operator, keep_first, keep_last)


def test_gps_is_rounded_at_general_grades_and_dropped_above() -> None:
    rule = default_rule(ColumnKind.GPS, Sensitivity.general_2)
    assert (rule.operator, rule.generalize_to, rule.decimals) == ("generalize", "gps", 1)
    table = pa.table({"坐标": ["39.9042,116.4074", None]})
    released = apply_policy(table, Policy(columns={"坐标": rule}))
    assert released.column("坐标").to_pylist() == ["39.9,116.4", None]
    assert default_rule(ColumnKind.GPS, Sensitivity.general_3).operator == "drop"


def test_every_kind_has_a_default_rule() -> None:
    assert all(isinstance(default_rule(kind), ColumnRule) for kind in ColumnKind)


def test_proposed_policy_masks_detected_columns() -> None:
    detections = {
        "id_card": ColumnDetection(ColumnKind.RESIDENT_ID, 1.0, "..."),
        "mobile": ColumnDetection(ColumnKind.MOBILE, 1.0, "..."),
        "city": ColumnDetection(ColumnKind.OTHER, 0.9, "..."),
    }
    result = apply_policy(_table(), propose_policy(detections))
    assert result.to_pylist() == [
        {"id_card": "110105********1234", "mobile": "138****5678", "city": "北京"},
        {"id_card": "310104********0021", "mobile": "139****5678", "city": "上海"},
    ]


KEY = b"k" * 32
CELL_KEY = b"c" * 32


@pytest.mark.parametrize(
    "rule",
    [
        {"operator": "generalize"},
        {"operator": "truncate"},
        {"operator": "noise", "epsilon": 1.0},
        {"operator": "noise", "epsilon": -1.0, "sensitivity": 1.0},
        {"operator": "date_shift"},
        {"operator": "pseudonymize", "token_length": 4},
        {"operator": "generalize", "generalize_to": "galaxy"},
        {"operator": "generalize", "generalize_to": "gps"},
        {"operator": "generalize", "generalize_to": "gps", "decimals": 2, "grid": 0.01},
        {"operator": "generalize", "generalize_to": "gps", "decimals": 7},
        {"operator": "generalize", "generalize_to": "gps", "grid": 0.0000015},
        {"operator": "generalize", "generalize_to": "gps", "grid": -1},
    ],
)
def test_operators_need_valid_parameters(rule: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ColumnRule.model_validate(rule)


def test_keyed_rules_refuse_to_run_without_a_key() -> None:
    policy = Policy(columns={"name": ColumnRule(operator="pseudonymize")})
    with pytest.raises(MissingKey):
        apply_policy(_table(), policy)


@pytest.mark.parametrize(
    "rule",
    [
        ColumnRule(operator="noise", epsilon=1.0, sensitivity=1.0),
        ColumnRule(operator="date_shift", max_days=3),
    ],
)
def test_per_cell_perturbations_refuse_an_audience_key_in_place_of_the_cell_key(
    rule: ColumnRule,
) -> None:
    """Noise keyed per buyer would give each buyer a draw to average: the library never
    falls back from the missing dataset key to the audience key."""
    policy = Policy(columns={"mobile": rule})
    with pytest.raises(MissingKey, match="cell_key"):
        apply_policy(_table(), policy, key=KEY)
    assert apply_policy(_table(), policy, cell_key=CELL_KEY).num_rows == 2


def test_pseudonyms_vary_with_the_audience_key_and_noise_only_with_the_cell_key() -> None:
    table = pa.table({"id": ["a", "b"], "income": [1000.0, 2000.0]})
    policy = Policy(
        columns={
            "id": ColumnRule(operator="pseudonymize"),
            "income": ColumnRule(operator="noise", epsilon=1.0, sensitivity=100.0),
        }
    )
    buyer_a = apply_policy(table, policy, key=b"a" * 32, cell_key=CELL_KEY)
    buyer_b = apply_policy(table, policy, key=b"b" * 32, cell_key=CELL_KEY)
    assert buyer_a.column("income") == buyer_b.column("income")
    assert set(buyer_a.column("id").to_pylist()).isdisjoint(buyer_b.column("id").to_pylist())


def test_a_noise_scale_off_the_ladder_is_refused_when_the_rule_is_built() -> None:
    with pytest.raises(ValidationError, match="noise scale"):
        ColumnRule(operator="noise", epsilon=1e-3, sensitivity=1e10)


def test_every_operator_through_a_policy() -> None:
    table = pa.table(
        {
            "id": ["11010519900101123X"],
            "age": [37],
            "born": ["1990-05-03"],
            "addr": ["北京市朝阳区建国路88号"],
            "note": ["abcdef"],
            "income": [1000.0],
            "visit": ["2020-01-01"],
            "email": ["a@b.cn"],
            "where": ["39.9042,116.4074"],
        }
    )
    policy = Policy(
        columns={
            "id": ColumnRule(operator="generalize", generalize_to="region_birth_year"),
            "age": ColumnRule(operator="generalize", generalize_to="age_band"),
            "born": ColumnRule(operator="generalize", generalize_to="year"),
            "addr": ColumnRule(operator="generalize", generalize_to="city"),
            "note": ColumnRule(operator="truncate", length=2),
            "income": ColumnRule(operator="noise", epsilon=1.0, sensitivity=100.0),
            "visit": ColumnRule(operator="date_shift", max_days=10),
            "email": ColumnRule(operator="pseudonymize", token_length=8),
            "where": ColumnRule(operator="generalize", generalize_to="gps", grid=0.05),
        }
    )
    row = apply_policy(table, policy, key=KEY, cell_key=CELL_KEY).to_pylist()[0]
    assert (row["id"], row["age"], row["born"], row["addr"], row["note"], row["where"]) == (
        "110105-1990",
        "30-39",
        "1990",
        "北京市",
        "ab",
        "39.90,116.40",
    )
    assert row["income"] != 1000.0
    assert row["visit"] != "2020-01-01"
    assert len(row["email"]) == 8


def test_a_policy_releases_only_columns_with_a_rule_other_than_drop() -> None:
    policy = Policy(columns={"a": ColumnRule(operator="keep"), "b": ColumnRule(operator="drop")})
    assert [policy.releases(name) for name in ("a", "b", "c")] == [True, False, False]


def test_policy_version_1_documents_still_load() -> None:
    stored = {"version": 1, "columns": {"city": {"operator": "keep"}}}
    assert Policy.model_validate(stored).quasi_identifiers == []


@pytest.mark.parametrize("kind", list(ColumnKind))
def test_higher_grades_never_propose_a_weaker_rule(kind: ColumnKind) -> None:
    strength = {"keep": 0, "mask": 1, "mask_name": 1, "generalize": 1, "redact": 2}
    strength |= {"pseudonymize": 2, "drop": 3}
    ranks = [strength[default_rule(kind, grade).operator] for grade in Sensitivity]
    assert ranks == sorted(ranks), (kind, ranks)


def test_important_data_drops_every_detected_column() -> None:
    detections = {
        "id_card": ColumnDetection(ColumnKind.RESIDENT_ID, 1.0, "..."),
        "city": ColumnDetection(ColumnKind.OTHER, 0.9, "..."),
    }
    policy = propose_policy(detections, grade=Sensitivity.important)
    assert apply_policy(_table(), policy).column_names == ["city"]


def test_uninspected_columns_are_dropped_by_default() -> None:
    assert default_rule(ColumnKind.UNINSPECTED).operator == "drop"


def test_big_tables_transformed_in_parallel_match_column_by_column() -> None:
    from anonymize import synthetic
    from anonymize.policy import apply_rule

    rng = np.random.default_rng(0)
    rows = 60_000
    table = pa.table(
        {
            "id": synthetic.resident_ids(rng, rows),
            "mobile": synthetic.mobiles(rng, rows),
            "email": synthetic.emails(rng, rows),
        }
    )
    policy = Policy(
        columns={
            "id": ColumnRule(operator="mask", keep_first=6, keep_last=4),
            "mobile": ColumnRule(operator="pseudonymize"),
            "email": ColumnRule(operator="truncate", length=3),
        }
    )
    result = apply_policy(table, policy, key=KEY)
    for name, rule in policy.columns.items():
        expected = apply_rule(table.column(name), rule, key=KEY, column=name)
        assert result.column(name).to_pylist() == expected.to_pylist()

"""The masking-policy editor's form: one row per column, read back into a ``Policy``.

Each column ``i`` posts ``col-i`` (its name), ``op-i`` (the operator), ``qi-i`` (checked when
it is a quasi-identifier) and each operator's parameters as ``<operator>.<param>-i``. Every
operator's inputs are rendered for every row (the page's script shows only the chosen
operator's group; without JavaScript all are shown); only the chosen operator's inputs are
read, so a value left in another group never leaks into the rule. Rules are
built by ``anonymize.ColumnRule``, the model the API validates with, so the editor accepts
exactly what ``PUT /datasets/{id}/policy`` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from pydantic import ValidationError

from anonymize import ColumnRule, Policy
from anonymize.policy import Generalization, Operator
from market.console.forms import FormInvalid

OPERATORS: tuple[str, ...] = get_args(Operator)
GENERALIZATIONS: tuple[str, ...] = get_args(Generalization)
# Which inputs belong to which operator (the rest of ColumnRule's fields keep defaults).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "mask": ("keep_first", "keep_last", "mask_char", "normalize"),
    "redact": ("replacement",),
    "pseudonymize": ("token_length", "normalize"),
    "generalize": ("generalize_to", "band", "decimals", "grid"),
    "truncate": ("length",),
    "noise": ("epsilon", "sensitivity"),
    "date_shift": ("max_days",),
}
NUMERIC = {"keep_first", "keep_last", "token_length", "band", "length", "max_days", "decimals"}
DECIMAL = {"epsilon", "sensitivity", "grid"}
MAX_COLUMNS = 2000


@dataclass(frozen=True)
class EditorRow:
    """One column as the editor shows it: its detection and its current rule."""

    index: int
    name: str
    kind: str
    confidence: float
    evidence: str
    rule: ColumnRule | None
    quasi_identifier: bool


def editor_rows(columns: list[dict[str, Any]], policy: Policy | None) -> list[EditorRow]:
    rules = policy.columns if policy else {}
    quasi = set(policy.quasi_identifiers) if policy else set()
    return [
        EditorRow(
            index=i,
            name=str(c["name"]),
            kind=str(c.get("kind", "")),
            confidence=float(c.get("confidence", 0)),
            evidence=str(c.get("evidence", "")),
            rule=rules.get(str(c["name"])),
            quasi_identifier=str(c["name"]) in quasi,
        )
        for i, c in enumerate(columns)
    ]


def _number(value: str, field: str, column: str) -> int | float:
    try:
        return int(value) if field in NUMERIC else float(value)
    except ValueError as exc:
        raise FormInvalid(
            f"Column {column}: {field} must be a number, not {value!r}.",
            f"列“{column}”：{field} 必须是数字，而不是 {value!r}。",
        ) from exc


def _rule(form: dict[str, str], index: int, column: str) -> ColumnRule:
    operator = form.get(f"op-{index}", "")
    if operator not in OPERATORS:
        raise FormInvalid(
            f"Column {column}: unknown operator {operator!r}.",
            f"列“{column}”：未知的脱敏方式 {operator!r}。",
        )
    values: dict[str, Any] = {"operator": operator}
    for field in PARAMETERS.get(operator, ()):
        raw = form.get(f"{operator}.{field}-{index}", "").strip()
        if raw:
            values[field] = _number(raw, field, column) if field in NUMERIC | DECIMAL else raw
    try:
        return ColumnRule.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(str(err["msg"]) for err in exc.errors())
        raise FormInvalid(
            f"Column {column}: {problems}.", f"列“{column}”的规则无效：{problems}。"
        ) from exc


def policy_from_form(form: dict[str, str]) -> Policy:
    """The policy the editor describes; columns are named by the form, and the service
    checks they are the dataset's (as for the API)."""
    rules: dict[str, ColumnRule] = {}
    quasi: list[str] = []
    for index in range(MAX_COLUMNS):
        column = form.get(f"col-{index}")
        if column is None:
            break
        rules[column] = _rule(form, index, column)
        if form.get(f"qi-{index}"):
            quasi.append(column)
    try:
        return Policy(columns=rules, quasi_identifiers=quasi)
    except ValidationError as exc:
        raise FormInvalid(
            "The policy is not valid: too many quasi-identifiers.", "策略无效：准标识符过多。"
        ) from exc

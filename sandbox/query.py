"""Parsing buyers' SQL and checking it against an allow-list, producing a ``QueryPlan``.

The SQL is parsed with sqlglot (DuckDB dialect) and **never executed as written**: the plan
keeps only what the allow-list understands (group keys, aggregates over simple expressions, a
WHERE predicate, ORDER BY and LIMIT on the released values), and ``sandbox.rewrite`` generates
new SQL from it. Anything the checker does not know is refused with a message naming the
construct, so a new sqlglot node type fails closed.

Buyers refer to the data as the table ``dataset``.

**Failure-obliviousness.** Whether a query fails must not depend on the data, so every
expression the checker accepts is *total*: it evaluates without error on every value its
column type admits, and everything not known to be total is refused (400, before any data is
read). The types are the Parquet schema's (declared at listing, never a value):

* numeric columns are read as DOUBLE and numeric literals are written as DOUBLE too (a literal
  such as ``99999999999999999.0`` is a DECIMAL in DuckDB, and DECIMAL products raise on
  overflow); DOUBLE ``+ - * /`` and ``abs`` give ±inf or NaN, never an error, and division goes
  through ``NULLIF(divisor, 0)``;
* comparisons, ``IN`` and ``BETWEEN`` need operands of one type. A DATE or TIMESTAMP column
  may be compared with a string literal (or ``DATE '…'``/``CAST('…' AS TIMESTAMP)``), which is
  parsed *here* and written as a typed literal: ``'2024-13-45'`` is refused before reading,
  instead of DuckDB casting it only when some row reaches the comparison;
* there is no CAST or TRY_CAST of a column or expression, no function outside ``abs``,
  ``lower`` and ``upper``, and LIKE patterns are string literals;
* TIMESTAMP_NS columns are read as TIMESTAMP (a total narrowing); timestamp columns of other
  units or with a time zone are not offered (their casts can overflow).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ground.errors import BadRequest
from ground.ops.logs import get_logger

log = get_logger(__name__)

TABLE_NAME = "dataset"
#: MIN and MAX are released as these DP quantiles (an exact extreme is never private).
MIN_QUANTILE, MAX_QUANTILE = 0.01, 0.99

ValueType = Literal["number", "string", "date", "timestamp", "bool"]
_TEMPORAL = ("date", "timestamp")
_CAST_TARGETS: dict[exp.DType, ValueType] = {
    exp.DType.DATE: "date",
    exp.DType.TIMESTAMP: "timestamp",
    exp.DType.TIMESTAMPNTZ: "timestamp",
}
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?")
AggKind = Literal["count", "count_col", "sum", "avg", "variance", "stddev", "quantile"]


class QueryRefused(BadRequest):
    """The SQL uses something the sandbox does not allow; the message names it."""


def refuse(what: str, zh: str | None = None) -> QueryRefused:
    return QueryRefused(
        f"Query refused: {what}. The sandbox accepts one SELECT of aggregates over the table "
        f"'{TABLE_NAME}' with WHERE, GROUP BY, ORDER BY and LIMIT.",
        f"查询被拒绝：{zh or what}。沙箱只接受对表 '{TABLE_NAME}' 的单条聚合 SELECT 查询"
        "（可含 WHERE、GROUP BY、ORDER BY、LIMIT）。",
    )


@dataclass(frozen=True)
class Bounds:
    lower: float
    upper: float


@dataclass
class Typed:
    """A checked expression: the SQL we generate for it, its type and public bounds if known."""

    sql: str
    type: ValueType
    bounds: Bounds | None = None
    literal: str | None = None  # the text of a string literal, which may become a date


@dataclass
class Aggregate:
    kind: AggKind
    value_sql: str | None  # the clamped-to-be value; None for COUNT(*)
    bounds: Bounds | None
    quantile: float | None = None
    label: str = ""


@dataclass
class Output:
    name: str
    key: int | None = None  # index into plan.keys
    aggregate: int | None = None  # index into plan.aggregates


@dataclass
class QueryPlan:
    outputs: list[Output]
    keys: list[str]
    key_sql: list[str]
    aggregates: list[Aggregate]
    where_sql: str | None
    order: list[tuple[int, bool]] = field(default_factory=list)  # (output index, descending)
    limit: int | None = None
    canonical_sql: str = ""

    def fingerprint(self, epsilon_units: int) -> str:
        """Identifies "the same query" for the stored-answer rule (canonical SQL and ε)."""
        return hashlib.sha256(f"{self.canonical_sql}\x00{epsilon_units}".encode()).hexdigest()


@dataclass(frozen=True)
class Schema:
    """What the checker knows of the dataset: column types and the approved public metadata."""

    types: dict[str, ValueType]
    bounds: dict[str, Bounds]


_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_ARITHMETIC: dict[type[exp.Expression], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*"}
_STATEMENT_NAMES: dict[type[exp.Expression], tuple[str, str]] = {
    exp.Pragma: ("PRAGMA", "PRAGMA 语句"),
    exp.Copy: ("COPY", "COPY 语句"),
    exp.Attach: ("ATTACH", "ATTACH 语句"),
    exp.Detach: ("DETACH", "DETACH 语句"),
    exp.Set: ("SET", "SET 语句"),
    exp.Install: ("INSTALL/LOAD", "INSTALL/LOAD 语句"),
    exp.Insert: ("INSERT", "INSERT 语句"),
    exp.Update: ("UPDATE", "UPDATE 语句"),
    exp.Delete: ("DELETE", "DELETE 语句"),
    exp.Create: ("CREATE", "CREATE 语句"),
    exp.Drop: ("DROP", "DROP 语句"),
    exp.Union: ("UNION/INTERSECT/EXCEPT", "集合运算"),
}


#: Aggregates released from one bounded numeric argument (matched by exact node type).
_SIMPLE_AGGREGATES: dict[type[exp.Expression], AggKind] = {
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Variance: "variance",
    exp.VariancePop: "variance",
    exp.Stddev: "stddev",
    exp.StddevPop: "stddev",
    exp.StddevSamp: "stddev",
}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _construct_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return f"function {str(node.this).upper()}() (user-defined or not allowed)"
    if isinstance(node, exp.Func):
        return f"function {_sql_name(node)}()"
    if isinstance(node, exp.Subquery | exp.Select):
        return "subquery"
    if isinstance(node, exp.Window):
        return "window function"
    if isinstance(node, exp.Cast | exp.TryCast):
        return "CAST"
    if isinstance(node, exp.Star):
        return "SELECT * (raw rows)"
    return f"expression {type(node).__name__}"


def parse(sql: str, schema: Schema, *, max_limit: int) -> QueryPlan:
    """Check ``sql`` against the allow-list and return the plan, or raise ``QueryRefused``."""
    if len(sql) > 20_000:
        raise refuse("the query text is longer than 20,000 characters", "查询文本超过 20000 字符")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError:
        raise refuse("the SQL could not be parsed", "SQL 无法解析") from None
    except Exception as exc:  # sqlglot's tokenizer raises plain errors on some input
        log.info("sandbox SQL not parsed by sqlglot", error_class=type(exc).__name__)
        raise refuse("the SQL could not be parsed", "SQL 无法解析") from None
    if len(statements) != 1:
        raise refuse("multiple statements", "多条语句")
    statement = statements[0]
    for kind, (name, zh) in _STATEMENT_NAMES.items():
        if isinstance(statement, kind):
            raise refuse(name, zh)
    if not isinstance(statement, exp.Select):
        raise refuse(f"{type(statement).__name__.upper()} statement", "非 SELECT 语句")
    return _Checker(schema, max_limit).plan(statement)


class _Checker:
    def __init__(self, schema: Schema, max_limit: int) -> None:
        self.schema = schema
        self.max_limit = max_limit
        self.alias: str | None = None

    def plan(self, select: exp.Select) -> QueryPlan:
        self._check_clauses(select)
        keys = self._group_keys(select)
        outputs: list[Output] = []
        aggregates: list[Aggregate] = []
        for item in select.expressions:
            name, node = (item.alias, item.this) if isinstance(item, exp.Alias) else ("", item)
            if isinstance(node, exp.Column):
                column = self._column_name(node)
                if column not in keys:
                    raise refuse(
                        f"raw column output without aggregation ({column!r} is neither "
                        "aggregated nor in GROUP BY)",
                        f"未聚合的原始列输出（{column!r} 既未聚合也不在 GROUP BY 中）",
                    )
                outputs.append(Output(name or column, key=keys.index(column)))
                continue
            aggregate = self._aggregate(node)
            aggregates.append(aggregate)
            outputs.append(Output(name or aggregate.label, aggregate=len(aggregates) - 1))
        if not aggregates:
            raise refuse("no aggregate in SELECT", "SELECT 中没有聚合函数")
        _unique_names(outputs)
        where = select.args.get("where")
        where_sql = None
        if where is not None:
            predicate = self._value(where.this)
            if predicate.type != "bool":
                raise refuse("WHERE must be a condition", "WHERE 必须是条件表达式")
            where_sql = predicate.sql
        plan = QueryPlan(
            outputs=outputs,
            keys=keys,
            key_sql=[quote_identifier(k) for k in keys],
            aggregates=aggregates,
            where_sql=where_sql,
            order=self._order(select, outputs),
            limit=self._limit(select),
        )
        plan.canonical_sql = select.sql(dialect="duckdb", normalize=True, pretty=False)
        return plan

    def _check_clauses(self, select: exp.Select) -> None:
        named = {
            "with_": ("WITH / common table expressions (including recursive CTEs)", "WITH 子句"),
            "with": ("WITH / common table expressions (including recursive CTEs)", "WITH 子句"),
            "joins": ("JOIN (other tables)", "JOIN（其他表）"),
            "laterals": ("LATERAL", "LATERAL"),
            "having": ("HAVING (filter on noisy values client-side)", "HAVING"),
            "qualify": ("QUALIFY", "QUALIFY"),
            "windows": ("WINDOW", "WINDOW"),
            "distinct": ("SELECT DISTINCT (raw values)", "SELECT DISTINCT"),
            "offset": ("OFFSET", "OFFSET"),
            "into": ("SELECT INTO", "SELECT INTO"),
            "sample": ("TABLESAMPLE", "TABLESAMPLE"),
            "pivots": ("PIVOT", "PIVOT"),
        }
        for arg, (name, zh) in named.items():
            if select.args.get(arg):
                raise refuse(name, zh)
        self._check_source(select)
        if any(isinstance(n, exp.Star) for n in select.expressions):
            raise refuse("SELECT * (raw rows)", "SELECT *（原始行）")

    def _check_source(self, select: exp.Select) -> None:
        """FROM names the table ``dataset`` (plain, unqualified), and nothing else."""
        source = select.args.get("from_") or select.args.get("from")
        if source is None:
            raise refuse(f"no FROM {TABLE_NAME}", f"缺少 FROM {TABLE_NAME}")
        table = source.this
        if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
            raise refuse(
                "a table function, file reader or subquery in FROM",
                "FROM 中的表函数、文件读取或子查询",
            )
        if table.args.get("db") or table.args.get("catalog") or table.name.lower() != TABLE_NAME:
            raise refuse(
                f"table {table.sql(dialect='duckdb')!r} (only '{TABLE_NAME}' is available)",
                f"表 {table.sql(dialect='duckdb')!r}（只能查询 '{TABLE_NAME}'）",
            )
        for arg in ("joins", "laterals", "pivots", "sample", "version", "when"):
            if table.args.get(arg):
                raise refuse(f"{arg.upper()} on the table", f"表上的 {arg.upper()}")
        self.alias = table.alias or None

    def _group_keys(self, select: exp.Select) -> list[str]:
        group = select.args.get("group")
        if group is None:
            return []
        for arg in ("grouping_sets", "cube", "rollup"):
            if group.args.get(arg):
                raise refuse("GROUPING SETS/CUBE/ROLLUP", "GROUPING SETS/CUBE/ROLLUP")
        if group.args.get("all"):
            raise refuse("GROUP BY ALL", "GROUP BY ALL")
        keys: list[str] = []
        for node in group.expressions:
            if not isinstance(node, exp.Column):
                raise refuse(
                    f"GROUP BY on {_construct_name(node)} (group by plain columns)",
                    "GROUP BY 只能使用列名",
                )
            name = self._column_name(node)
            if name not in keys:
                keys.append(name)
        return keys

    def _column_name(self, node: exp.Column) -> str:
        table = node.table
        if table and table.lower() not in {TABLE_NAME, (self.alias or TABLE_NAME).lower()}:
            raise refuse(f"table {table!r} (only '{TABLE_NAME}' is available)")
        if node.args.get("db") or node.args.get("catalog"):
            raise refuse("a qualified column name", "带库名的列")
        name = node.name
        if name not in self.schema.types:
            raise refuse(f"unknown column {name!r}", f"未知列 {name!r}")
        return name

    def _aggregate(self, node: exp.Expression) -> Aggregate:
        """One SELECT item as an aggregate the release knows (``sandbox.release``), or a
        refusal naming it."""
        if isinstance(node, exp.Count):
            return self._count(node)
        kind = _SIMPLE_AGGREGATES.get(type(node))
        if kind is not None:
            value = self._numeric_argument(node)
            return Aggregate(kind, value.sql, value.bounds, label=kind)
        if isinstance(node, exp.Median | exp.Min | exp.Max):
            return self._fixed_quantile(node)
        if isinstance(node, exp.Quantile | exp.PercentileCont | exp.PercentileDisc):
            return self._quantile(node)
        if isinstance(node, exp.AggFunc):
            raise refuse(f"aggregate {_sql_name(node)}() is not supported", None)
        raise refuse(_construct_name(node))

    def _count(self, node: exp.Count) -> Aggregate:
        inner = node.this
        if isinstance(inner, exp.Distinct):
            raise refuse("COUNT(DISTINCT ...)", "COUNT(DISTINCT ...)")
        if isinstance(inner, exp.Star) or inner is None:
            return Aggregate("count", None, None, label="count")
        value = self._value(inner)
        return Aggregate("count_col", value.sql, None, label="count")

    def _fixed_quantile(self, node: exp.Median | exp.Min | exp.Max) -> Aggregate:
        """MEDIAN is the 0.5 quantile; MIN and MAX are released as the ``MIN_QUANTILE`` and
        ``MAX_QUANTILE`` quantiles (an exact extreme is never private)."""
        value = self._numeric_argument(node)
        if isinstance(node, exp.Median):
            return Aggregate("quantile", value.sql, value.bounds, 0.5, label="median")
        q = MIN_QUANTILE if isinstance(node, exp.Min) else MAX_QUANTILE
        return Aggregate("quantile", value.sql, value.bounds, q, label=node.key)

    def _quantile(self, node: exp.Quantile | exp.PercentileCont | exp.PercentileDisc) -> Aggregate:
        value = self._numeric_argument(node)
        q_node = node.args.get("quantile") or node.args.get("expression")
        if not isinstance(q_node, exp.Literal) or q_node.is_string:
            raise refuse("a quantile that is not a number literal", "分位数必须是数字常量")
        q = float(q_node.this)
        if not 0 <= q <= 1:
            raise refuse("a quantile outside [0, 1]", "分位数不在 [0, 1] 内")
        return Aggregate("quantile", value.sql, value.bounds, q, label="quantile")

    def _numeric_argument(self, node: exp.Expression) -> Typed:
        if isinstance(node.this, exp.Distinct):
            raise refuse("DISTINCT inside an aggregate", "聚合中的 DISTINCT")
        extra = [
            k
            for k, v in node.args.items()
            if v is not None and k not in {"this", "quantile", "expression"}
        ]
        if extra:
            raise refuse(f"extra arguments to {_sql_name(node)}()", None)
        value = self._value(node.this)
        if value.type != "number":
            raise refuse(f"{_sql_name(node)}() of a non-numeric value", "对非数值求聚合")
        if value.bounds is None:
            raise refuse(
                f"{_sql_name(node)}() of a value without public bounds; declare bounds for its "
                "columns in the sandbox profile, and avoid division by values that can be 0",
                f"{_sql_name(node)}() 的参数没有公开取值范围",
            )
        b = value.bounds
        if not (math.isfinite(b.lower) and math.isfinite(b.upper) and b.lower < b.upper):
            raise refuse(f"{_sql_name(node)}() of a constant or unbounded value", None)
        return value

    # ----- expressions -----------------------------------------------------------------

    def _value(self, node: exp.Expression) -> Typed:
        """The checked form of one expression, by a dispatch over its node type; a node type
        without a step is refused with its name, so an unknown construct fails closed."""
        step = _EXACT_VALUE_STEPS.get(type(node))
        if step is None:
            step = next((s for kinds, s in _VALUE_STEPS if isinstance(node, kinds)), None)
        if step is None:
            raise refuse(_construct_name(node))
        return step(self, node)

    def _parenthesized(self, node: exp.Paren) -> Typed:
        inner = self._value(node.this)
        return Typed(f"({inner.sql})", inner.type, inner.bounds)

    def _column_value(self, node: exp.Column) -> Typed:
        """Numeric columns are read as DOUBLE, timestamp columns as TIMESTAMP (module docstring)."""
        name = self._column_name(node)
        kind = self.schema.types[name]
        if kind == "number":
            return Typed(
                f"CAST({quote_identifier(name)} AS DOUBLE)", kind, self.schema.bounds.get(name)
            )
        if kind == "timestamp":
            return Typed(f"CAST({quote_identifier(name)} AS TIMESTAMP)", kind)
        return Typed(quote_identifier(name), kind)

    def _literal(self, node: exp.Literal) -> Typed:
        if node.is_string:
            return Typed(quote_string(node.this), "string", literal=node.this)
        number = _finite_number(node.this)
        return Typed(f"CAST({number!r} AS DOUBLE)", "number", Bounds(number, number))

    def _boolean(self, node: exp.Boolean) -> Typed:
        return Typed("TRUE" if node.this else "FALSE", "bool")

    def _negative(self, node: exp.Neg) -> Typed:
        inner = self._require(node.this, "number")
        b = inner.bounds
        return Typed(f"(-{inner.sql})", "number", b and Bounds(-b.upper, -b.lower))

    def _arithmetic(self, node: exp.Expression) -> Typed:
        op = _ARITHMETIC[type(node)]
        left = self._require(node.this, "number")
        right = self._require(node.expression, "number")
        return Typed(
            f"({left.sql} {op} {right.sql})",
            "number",
            _interval(op, left.bounds, right.bounds),
        )

    def _division(self, node: exp.Div) -> Typed:
        """Through ``NULLIF(divisor, 0)``: a zero divisor gives NULL, never an error."""
        left = self._require(node.this, "number")
        right = self._require(node.expression, "number")
        return Typed(
            f"({left.sql} / NULLIF({right.sql}, 0))",
            "number",
            _interval("/", left.bounds, right.bounds),
        )

    def _comparison(self, node: exp.Expression) -> Typed:
        op = _COMPARISONS[type(node)]
        left, right = self._value(node.this), self._value(node.expression)
        left, right = self._unify(left, right, op)
        return Typed(f"({left.sql} {op} {right.sql})", "bool")

    def _and_or(self, node: exp.And | exp.Or) -> Typed:
        left = self._require(node.this, "bool")
        right = self._require(node.expression, "bool")
        op = "AND" if isinstance(node, exp.And) else "OR"
        return Typed(f"({left.sql} {op} {right.sql})", "bool")

    def _not(self, node: exp.Not) -> Typed:
        inner = self._require(node.this, "bool")
        return Typed(f"(NOT {inner.sql})", "bool")

    def _is_null(self, node: exp.Is) -> Typed:
        inner = self._value(node.this)
        if not isinstance(node.expression, exp.Null):
            raise refuse("IS with something other than NULL", "IS 只能与 NULL 连用")
        return Typed(f"({inner.sql} IS NULL)", "bool")

    def _in_list(self, node: exp.In) -> Typed:
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise refuse("subquery", "子查询")
        target = self._value(node.this)
        if not node.expressions or not all(map(_is_literal, node.expressions)):
            raise refuse("IN with something other than a list of literals", "IN 只能使用常量列表")
        options = [self._value(o) for o in node.expressions]
        for option in options:  # a literal target may take a date option's type
            target, _ = self._unify(target, option, "IN")
        sqls = [self._unify(target, option, "IN")[1].sql for option in options]
        return Typed(f"({target.sql} IN ({', '.join(sqls)}))", "bool")

    def _between(self, node: exp.Between) -> Typed:
        target = self._value(node.this)
        target, low = self._unify(target, self._value(node.args["low"]), "BETWEEN")
        target, high = self._unify(target, self._value(node.args["high"]), "BETWEEN")
        low, high = self._unify(low, high, "BETWEEN")
        target, low = self._unify(target, low, "BETWEEN")
        return Typed(f"({target.sql} BETWEEN {low.sql} AND {high.sql})", "bool")

    def _like(self, node: exp.Like | exp.ILike) -> Typed:
        target = self._require(node.this, "string")
        pattern = node.expression
        if not isinstance(pattern, exp.Literal) or not pattern.is_string:
            raise refuse(
                "LIKE with a pattern that is not a string literal", "LIKE 模式必须是字符串常量"
            )
        op = "LIKE" if isinstance(node, exp.Like) else "ILIKE"
        return Typed(f"({target.sql} {op} {quote_string(pattern.this)})", "bool")

    def _abs(self, node: exp.Abs) -> Typed:
        inner = self._require(node.this, "number")
        b = inner.bounds
        bounds: Bounds | None = None
        if b is not None:
            least = 0.0 if b.lower <= 0 <= b.upper else min(abs(b.lower), abs(b.upper))
            bounds = Bounds(least, max(abs(b.lower), abs(b.upper)))
        return Typed(f"abs({inner.sql})", "number", bounds)

    def _lower_upper(self, node: exp.Lower | exp.Upper) -> Typed:
        inner = self._require(node.this, "string")
        return Typed(f"{_sql_name(node).lower()}({inner.sql})", "string")

    def _require(self, node: exp.Expression, kind: ValueType) -> Typed:
        value = self._value(node)
        if value.type != kind:
            raise refuse(f"a {value.type} where a {kind} is needed", f"类型不匹配（需要 {kind}）")
        return value

    @staticmethod
    def _unify(left: Typed, right: Typed, op: str) -> tuple[Typed, Typed]:
        """The two operands of ``op`` with one type: equal already, or a string literal turned,
        here, into a literal of the other side's date or timestamp type.

        Comparing a string with a number or a date makes DuckDB cast at run time, and a cast
        that fails only on some rows (or only when a row reaches it) reveals those rows: only
        same-type comparisons run, and literals are validated before any data is read.
        """
        if left.type == right.type:
            return left, right
        if left.type in _TEMPORAL and right.literal is not None:
            return left, _temporal_literal(right.literal, left.type)
        if right.type in _TEMPORAL and left.literal is not None:
            return _temporal_literal(left.literal, right.type), right
        raise refuse(
            f"comparison {op} between a {left.type} and a {right.type}",
            f"{op} 比较的两侧类型不同（{left.type} 与 {right.type}）",
        )

    def _cast(self, node: exp.Cast | exp.TryCast) -> Typed:
        """Only casts of string literals to DATE or TIMESTAMP, validated here: a cast of a
        column's values succeeds or fails (or, as TRY_CAST, gives NULL) depending on them."""
        kind = _CAST_TARGETS.get(node.to.this)
        inner = node.this
        if kind is None or not isinstance(inner, exp.Literal) or not inner.is_string:
            raise refuse(
                "CAST or TRY_CAST of a column or expression (whether it succeeds depends on the "
                "values; compare with a literal of the column's type instead)",
                "对列或表达式使用 CAST/TRY_CAST（能否成功取决于数据值；请与该列类型的常量比较）",
            )
        return _temporal_literal(inner.this, kind)

    def _order(self, select: exp.Select, outputs: list[Output]) -> list[tuple[int, bool]]:
        order = select.args.get("order")
        if order is None:
            return []
        names = [o.name for o in outputs]
        rendered = [
            e.this.sql() if isinstance(e, exp.Alias) else e.sql() for e in select.expressions
        ]
        result: list[tuple[int, bool]] = []
        for item in order.expressions:
            index = _output_index(item.this, names, rendered)
            if index is None:
                raise refuse(
                    "ORDER BY must name an output column (by alias or position)",
                    "ORDER BY 只能引用输出列（别名或序号）",
                )
            result.append((index, bool(item.args.get("desc"))))
        return result

    def _limit(self, select: exp.Select) -> int | None:
        limit = select.args.get("limit")
        if limit is None:
            return None
        value = limit.expression
        if not isinstance(value, exp.Literal) or value.is_string or not value.this.isdigit():
            raise refuse("LIMIT must be a whole number", "LIMIT 必须是整数")
        return min(int(value.this), self.max_limit)


_ValueStep = Callable[[_Checker, Any], Typed]
#: Steps of ``_Checker._value`` for node types matched exactly (a subclass is not the same
#: operator), tried first.
_EXACT_VALUE_STEPS: dict[type[exp.Expression], _ValueStep] = {
    **{kind: _Checker._arithmetic for kind in _ARITHMETIC},
    exp.Div: _Checker._division,
    **{kind: _Checker._comparison for kind in _COMPARISONS},
}
#: Steps of ``_Checker._value`` for node types and their subclasses, in order. Every other
#: node type is refused.
_VALUE_STEPS: tuple[
    tuple[type[exp.Expression] | tuple[type[exp.Expression], ...], _ValueStep], ...
] = (
    (exp.Paren, _Checker._parenthesized),
    (exp.Column, _Checker._column_value),
    (exp.Literal, _Checker._literal),
    ((exp.Cast, exp.TryCast), _Checker._cast),
    (exp.Boolean, _Checker._boolean),
    (exp.Neg, _Checker._negative),
    ((exp.And, exp.Or), _Checker._and_or),
    (exp.Not, _Checker._not),
    (exp.Is, _Checker._is_null),
    (exp.In, _Checker._in_list),
    (exp.Between, _Checker._between),
    ((exp.Like, exp.ILike), _Checker._like),
    (exp.Abs, _Checker._abs),
    ((exp.Lower, exp.Upper), _Checker._lower_upper),
)


def _output_index(target: exp.Expression, names: list[str], rendered: list[str]) -> int | None:
    """The output an ORDER BY item names, by position (1-based), alias or the SQL of a
    SELECT item; None when it names none of them."""
    if isinstance(target, exp.Literal) and not target.is_string:
        position = int(target.this) if target.this.isdigit() else 0
        return position - 1 if 1 <= position <= len(names) else None
    if isinstance(target, exp.Column) and not target.table and target.name in names:
        return names.index(target.name)
    if target.sql() in rendered:
        return rendered.index(target.sql())
    return None


def _is_literal(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) or (
        isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal)
    )


def _finite_number(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise refuse("a malformed number", "数字格式错误") from None
    if not math.isfinite(number):
        raise refuse("a non-finite number", "非有限数值")
    return number


def _temporal_literal(text: str, kind: ValueType) -> Typed:
    """A string literal as a DATE or TIMESTAMP literal, or a 400 naming the bad literal.

    Parsed with Python's calendar (years 1-9999, real months and days), all inside DuckDB's
    DATE and TIMESTAMP ranges, so the typed literal always converts: no cast is left for run
    time, where it would fail only if some row reached it.
    """
    shown = text if len(text) <= 40 else text[:40] + "…"
    try:
        if kind == "date":
            if not _DATE_TEXT.fullmatch(text):
                raise ValueError(text)
            return Typed(f"DATE '{date.fromisoformat(text).isoformat()}'", "date")
        if not _TIMESTAMP_TEXT.fullmatch(text):
            raise ValueError(text)
        value = datetime.fromisoformat(text)
        return Typed(f"TIMESTAMP '{value.isoformat(sep=' ')}'", "timestamp")
    except ValueError:
        form = "YYYY-MM-DD" if kind == "date" else "YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]"
        raise refuse(
            f"{shown!r} is not a valid {kind} literal ({form}) for a {kind} column",
            f"{shown!r} 不是有效的{'日期' if kind == 'date' else '时间戳'}常量（{form}）",
        ) from None


def _unique_names(outputs: list[Output]) -> None:
    """Output names must be distinct keys of the result rows: repeats get a suffix."""
    seen: set[str] = set()
    for output in outputs:
        name, n = output.name, 1
        while name in seen:
            n += 1
            name = f"{output.name}_{n}"
        output.name = name
        seen.add(name)


def _interval(op: str, a: Bounds | None, b: Bounds | None) -> Bounds | None:
    """Interval arithmetic: public bounds of an expression from its operands' bounds."""
    if a is None or b is None:
        return None
    if op == "+":
        return Bounds(a.lower + b.lower, a.upper + b.upper)
    if op == "-":
        return Bounds(a.lower - b.upper, a.upper - b.lower)
    if op == "/":
        if b.lower <= 0 <= b.upper:
            return None  # the divisor may be 0 (NULL) or arbitrarily close to it: unbounded
        b = Bounds(1 / b.upper, 1 / b.lower)
    products = [a.lower * b.lower, a.lower * b.upper, a.upper * b.lower, a.upper * b.upper]
    if not all(math.isfinite(p) for p in products):
        return None
    return Bounds(min(products), max(products))


def _sql_name(node: exp.Expression) -> str:
    """The function's SQL name, for refusal messages (sqlglot's typing omits ``sql_name``)."""
    name = getattr(node, "sql_name", None)
    return str(name()) if callable(name) else type(node).__name__.upper()

"""Every query lives in a repository, and only the owners of a unit of work commit.

Why: a service that composes others must be able to rely on them running in *its* unit of
work (so an event handler, a state change and its audit record commit together or not at
all), and a reader must find every query a table gets in one module per domain. So:

**Query sites** may appear only in repository modules (``repository.py``,
``*_repository.py``, or any module inside a ``repository/`` package), in ``ground/db.py``
(the engine and its DBAPI hooks) and in the Alembic migrations (``alembic/``, not a package,
so not scanned here). A query site is:

- a call of ``exec``, ``execute``, ``get``, ``scalar``, ``scalars`` or ``query`` on a session
  (any name or attribute whose name contains ``session``: ``session``, ``self.session``);
- a call of SQLAlchemy's or SQLModel's ``select``, ``update``, ``delete``, ``insert`` or
  ``text``, however imported (``select(…)``, ``sa_select(…)``, ``sqlalchemy.select(…)``);
  ``text`` is also allowed in ``models.py`` (and ``models/``), where it spells schema DDL such
  as a partial index's predicate, never a query;
- ``raw_connection()``: a DBAPI connection around the session (the readiness probe's
  ``SELECT 1`` lives in ``ground/db.py`` for that reason).

Other connections are not the application database and are not checked: DuckDB's in
``sandbox/engine.py`` and ``listings/versions.py`` (named ``con``), pyarrow's ``pa.scalar``.

**Commits**: a ``.commit()`` call, or any use of ``ground.db.commit_so_far`` (which commits
a session's work so far and goes on in a new unit of work; referring to it is enough, as in
``partial(commit_so_far, session)``), may appear only in

- ``ground/db.py``: ``unit_of_work``, which every request, task, CLI command and the demo
  run in, and ``commit_so_far`` itself;
- ``ground/dependencies.py``: the request's unit of work, which hands an endpoint a
  ``Checkpoint`` (``CheckpointDep``) for the one service that needs a durable point
  mid-request: the sandbox commits its ε reservation before reading data, and a failed
  query's charge before raising its error. The service calls the checkpoint it was given; it
  cannot commit on its own.

The shell, the tasks and the CLI open units of work with ``unit_of_work()``; none of them
commits by hand, so none is allowed to (the brief for this check considered allowing them,
but nothing there needs it).

Every package is scanned, each top-level package on its own and ``market`` per sub-package,
so a failure names the domain that still has work to do.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ground", "anonymize", "accounts", "audit", "listings", "billing", "trade", "sandbox")
MARKET = ROOT / "market"

SESSION_METHODS = frozenset({"exec", "execute", "get", "scalar", "scalars", "query"})
CONSTRUCTS = frozenset({"select", "update", "delete", "insert", "text"})
SQL_MODULES = ("sqlalchemy", "sqlmodel")

QUERY_OWNERS = frozenset({"ground/db.py"})
COMMIT_OWNERS = frozenset({"ground/db.py", "ground/dependencies.py"})
COMMIT_FUNCTIONS = frozenset({"commit_so_far"})


def _scopes() -> list[str]:
    market = sorted(f"market/{p.name}" for p in MARKET.iterdir() if (p / "__init__.py").is_file())
    return [*PACKAGES, "market (top level)", *market]


def _modules(scope: str) -> Iterator[Path]:
    if scope == "market (top level)":
        yield from sorted(MARKET.glob("*.py"))
        return
    yield from sorted((ROOT / scope).rglob("*.py"))


def _is_repository(relative: str) -> bool:
    path = Path(relative)
    return (
        path.name == "repository.py"
        or path.name.endswith("_repository.py")
        or "repository" in path.parent.parts
    )


def _is_models(relative: str) -> bool:
    path = Path(relative)
    return path.name == "models.py" or "models" in path.parent.parts


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Scanner(ast.NodeVisitor):
    """Collects query sites and commits in one module."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.constructs: dict[str, str] = {}  # local name -> construct (``sa_select`` -> select)
        self.sql_modules: set[str] = set()  # local names of sqlalchemy / sqlmodel modules
        self.queries: list[Site] = []
        self.texts: list[Site] = []
        self.commits: list[Site] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in SQL_MODULES:
                self.sql_modules.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if (node.module or "").split(".")[0] in SQL_MODULES and alias.name in CONSTRUCTS:
                self.constructs[alias.asname or alias.name] = alias.name
            if alias.name in COMMIT_FUNCTIONS:
                self.commits.append(Site(self.path, node.lineno, f"import {alias.name}"))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        receiver = _name_of(func.value) if isinstance(func, ast.Attribute) else None
        if isinstance(func, ast.Name) and func.id in self.constructs:
            self._query(node, self.constructs[func.id], f"{self.constructs[func.id]}(…)")
        elif isinstance(func, ast.Attribute):
            if func.attr in CONSTRUCTS and receiver in self.sql_modules:
                self._query(node, func.attr, f"{receiver}.{func.attr}(…)")
            elif func.attr in SESSION_METHODS and receiver and "session" in receiver.lower():
                self._query(node, func.attr, f"{receiver}.{func.attr}(…)")
            elif func.attr == "raw_connection":
                self._query(node, func.attr, "raw_connection()")
            elif func.attr == "commit":
                self.commits.append(self._site(node, f"{receiver or '…'}.commit()"))
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in COMMIT_FUNCTIONS:
            self.commits.append(Site(self.path, node.lineno, node.id))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in COMMIT_FUNCTIONS:
            self.commits.append(Site(self.path, node.lineno, node.attr))
        self.generic_visit(node)

    def _query(self, node: ast.Call, kind: str, what: str) -> None:
        (self.texts if kind == "text" else self.queries).append(self._site(node, what))

    def _site(self, node: ast.Call, what: str) -> Site:
        return Site(self.path, node.lineno, what)


def _scan(scope: str) -> Iterator[_Scanner]:
    for module in _modules(scope):
        relative = module.relative_to(ROOT).as_posix()
        scanner = _Scanner(relative)
        scanner.visit(ast.parse(module.read_text(encoding="utf-8"), filename=relative))
        yield scanner


def _misplaced_queries(scope: str) -> list[str]:
    found = []
    for scanner in _scan(scope):
        if _is_repository(scanner.path) or scanner.path in QUERY_OWNERS:
            continue
        found += [str(s) for s in scanner.queries]
        if not _is_models(scanner.path):
            found += [str(s) for s in scanner.texts]
    return found


def _misplaced_commits(scope: str) -> list[str]:
    return [
        str(site)
        for scanner in _scan(scope)
        if scanner.path not in COMMIT_OWNERS
        for site in scanner.commits
    ]


@pytest.mark.parametrize("scope", _scopes())
def test_queries_live_in_repositories(scope: str) -> None:
    assert _misplaced_queries(scope) == []


@pytest.mark.parametrize("scope", _scopes())
def test_only_units_of_work_commit(scope: str) -> None:
    assert _misplaced_commits(scope) == []


def test_the_scanner_sees_every_kind_of_site(tmp_path: Path) -> None:
    """The scan itself: each form above is found, and look-alikes are not."""
    source = """
import sqlalchemy as sa
from sqlalchemy import select as sa_select, text, update
from sqlmodel import select

def f(session, self, engine, router, con, pa, d):
    session.exec(select(A))
    self.session.execute(update(A))
    session.get(A, 1)
    session.scalar(sa_select(A.id))
    sa.delete(A)
    text("SELECT 1")
    engine.raw_connection()
    session.commit()
    partial(commit_so_far, session)
    router.delete("/x")
    con.execute("SELECT 1")
    pa.scalar(1)
    d.get("k")
    repo.query(1)
"""
    scanner = _Scanner("x.py")
    scanner.visit(ast.parse("from ground.db import commit_so_far\n" + source))
    assert [s.what for s in scanner.queries] == [
        "session.exec(…)",
        "select(…)",
        "session.execute(…)",
        "update(…)",
        "session.get(…)",
        "session.scalar(…)",
        "select(…)",
        "sa.delete(…)",
        "raw_connection()",
    ]
    assert [s.what for s in scanner.texts] == ["text(…)"]
    assert [s.what for s in scanner.commits] == [
        "import commit_so_far",
        "session.commit()",
        "commit_so_far",
    ]

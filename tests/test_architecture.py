"""The architecture holds: the layers' import contracts are kept, and no function imports one of
our packages (the way a cycle between layers is hidden instead of fixed).

The layers, bottom to top: ground < accounts < audit < listings < billing < trade < sandbox <
market.dataapi | market.reports < market.console < market.shell; ``anonymize`` imports nothing
of ours (the contracts are in pyproject.toml, checked by import-linter). A lower layer tells a
higher one something through a typed event (``ground.events``) that the shell subscribes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "ground",
    "accounts",
    "audit",
    "listings",
    "billing",
    "trade",
    "sandbox",
    "market",
    "anonymize",
)


def test_the_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 broken." in result.stdout, result.stdout


def _ours(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules of ours that an import statement names (a relative import is ours)."""
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return ["." * node.level + (node.module or "")]
        names = [node.module or ""]
    else:
        names = [alias.name for alias in node.names]
    return [name for name in names if name.split(".")[0] in PACKAGES]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _misplaced_imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Imports of ours anywhere but the module's top level (or an ``if TYPE_CHECKING:`` block
    there): inside a function, a class, or any other block."""

    def walk(node: ast.AST, top_level: bool) -> Iterator[tuple[int, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                if not top_level:
                    for name in _ours(child):
                        yield child.lineno, name
            elif isinstance(child, ast.If) and top_level and _is_type_checking(child.test):
                yield from walk(child, top_level=True)
            else:
                yield from walk(child, top_level=False)

    yield from walk(tree, top_level=True)


def test_no_function_imports_one_of_our_packages() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found += [
                f"{path.relative_to(ROOT)}:{line} imports {name}"
                for line, name in _misplaced_imports(tree)
            ]
    assert not found, "imports of ours below the module's top level:\n" + "\n".join(found)


def test_the_checker_sees_imports_in_functions_and_allows_type_checking_blocks() -> None:
    """The AST check itself: what it must find, and what it must let through."""
    source = """
from typing import TYPE_CHECKING
import json
from ground import db

if TYPE_CHECKING:
    from listings.models import Dataset

def f():
    import json
    from market.shell import wiring
    from . import sibling

class C:
    def m(self):
        import audit.service

try:
    import trade
except ImportError:
    pass
"""
    found = list(_misplaced_imports(ast.parse(source)))
    assert found == [(11, "market.shell"), (12, "."), (16, "audit.service"), (19, "trade")]

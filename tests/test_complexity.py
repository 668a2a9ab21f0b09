"""No function or method in the source packages is above cyclomatic complexity 15.

A function past that bound is a flag soup nobody can review line by line; it is split into
named steps (a dispatch table or small functions) instead. Measured with radon, the same
numbers as ``radon cc -s ground accounts … anonymize``; nested functions and methods of
nested classes count on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class, Function

ROOT = Path(__file__).resolve().parent.parent
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
MAX_COMPLEXITY = 15


def _functions(blocks: Iterable[Function | Class]) -> Iterator[Function]:
    """Every function in ``blocks``: methods of (nested) classes and closures included."""
    for block in blocks:
        if isinstance(block, Class):
            yield from _functions([*block.methods, *block.inner_classes])
        else:
            yield block
            yield from _functions(block.closures)


def _top_level(code: str) -> list[Function | Class]:
    """Module-level functions and classes: ``cc_visit`` also lists methods on their own."""
    return [b for b in cc_visit(code) if isinstance(b, Class) or not b.is_method]


def test_no_function_is_above_complexity_15() -> None:
    sources = [
        path
        for package in PACKAGES
        if (ROOT / package).is_dir()
        for path in sorted((ROOT / package).rglob("*.py"))
    ]
    assert sources, "no source package found"
    offenders = [
        f"{path.relative_to(ROOT)}:{function.lineno} {function.fullname} ({function.complexity})"
        for path in sources
        for function in _functions(_top_level(path.read_text(encoding="utf-8")))
        if function.complexity > MAX_COMPLEXITY
    ]
    assert not offenders, (
        f"functions above cyclomatic complexity {MAX_COMPLEXITY}; split them into named steps:\n"
        + "\n".join(offenders)
    )

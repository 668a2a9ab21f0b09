import ast
from pathlib import Path

import anonymize

SIBLINGS = {"market", "listings", "sandbox", "billing"}


def test_anonymize_imports_nothing_from_the_rest_of_sluice() -> None:
    imported: set[str] = set()
    for source in Path(anonymize.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert imported & SIBLINGS == set()


def test_public_names_are_exported() -> None:
    assert all(hasattr(anonymize, name) for name in anonymize.__all__)

"""Message catalogs of the console, one module per area, merged into ``MESSAGES``.

Each module here defines ``MESSAGES: dict[str, tuple[str, str]]`` mapping a key to its
(Chinese, English) text. Keys are prefixed with the area (``catalog.``, ``provider.``), so
areas never collide; a key defined twice is an import-time error, not a silent override. A new
area adds a module; nothing here needs editing (modules are discovered).
"""

from __future__ import annotations

import importlib
import pkgutil


def _load() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, texts in module.MESSAGES.items():
            if key in merged:
                raise RuntimeError(f"console message {key!r} is defined twice ({info.name})")
            merged[key] = texts
    return merged


MESSAGES: dict[str, tuple[str, str]] = _load()

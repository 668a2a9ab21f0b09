#!/usr/bin/env python3
"""Bootstrap and run Sluice from a fresh clone with nothing but Python 3.11 and pip.

    python3 run.py demo     # the demo marketplace on http://127.0.0.1:8000 (sluice demo)
    python3 run.py test     # the test suite (pytest); extra arguments go to pytest

The first run creates ./.venv, installs uv into it with pip, and installs the locked
dependencies (uv.lock) with `uv sync --frozen`; later runs re-sync only when uv.lock or
pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
UV_VERSION = "0.13.9"
STAMP = VENV / ".sluice-sync"


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("uv.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _run(*args: str | Path, **env: str) -> None:
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env={**os.environ, **env})


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (run by whatever python3 is installed)
        sys.exit(f"Sluice needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        print("Creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    if not (BIN / "uv").exists():
        _run(BIN / "python", "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}")
    if not STAMP.exists() or STAMP.read_text() != _lock_digest():
        print("Installing locked dependencies …", flush=True)
        _run(BIN / "uv", "sync", "--frozen", "--quiet", UV_PROJECT_ENVIRONMENT=str(VENV))
        STAMP.write_text(_lock_digest())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "sluice"}:
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "test":
        args = [str(BIN / "python"), "-m", "pytest", *rest]
    elif command == "demo":
        args = [str(BIN / "sluice"), "demo", *rest]
    else:
        args = [str(BIN / "sluice"), *rest]
    os.chdir(ROOT)
    return subprocess.call(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

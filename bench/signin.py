"""Benchmark: sign-in latency on SQLite (the embedded default) while a large file is ingested.

    .venv/bin/python bench/signin.py [--rows 2500000] [--idle 40]

Starts ``sluice serve`` on a fresh SQLite database and data directory in a temporary
directory (embedded mode: tasks run in the server process), creates a provider, then times
``POST /api/v1/auth/token``:

* **idle**: ``--idle`` sign-ins one after another with nothing else running;
* **during ingest**: sign-ins one after another for as long as one upload of a synthetic CSV
  of ``--rows`` rows (``bench/ingest.py``'s file, about 85 bytes a row) is being received,
  checked, converted and profiled by the same server.

Prints p50, p95 and the maximum of each, and every status code seen (the issue's finding was
500 "database is locked" after 10 s during a 205 MB ingest).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
EMAIL, PASSWORD = "bench-provider@example.com", "bench-password-123"


def _sluice(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from market.shell.cli import app; app()", *args]
    return subprocess.Popen(command, env=env, cwd=cwd)


def _environment(tmp: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")},
        "PYTHONPATH": str(ROOT),
        "SLUICE_DATABASE_URL": f"sqlite:///{tmp / 'sluice.db'}",
        "SLUICE_DATA_DIR": str(tmp / "data"),
        "SLUICE_MAX_UPLOAD_BYTES": str(4 * 1024**3),
        "SLUICE_LOG_LEVEL": "WARNING",
    }


def _sign_in(client: httpx.Client) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.post("/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
    return time.perf_counter() - started, response.status_code


def _summary(name: str, timings: list[tuple[float, int]]) -> str:
    seconds = sorted(t for t, _ in timings)
    statuses: dict[int, int] = {}
    for _, status in timings:
        statuses[status] = statuses.get(status, 0) + 1
    p95 = seconds[max(0, int(len(seconds) * 0.95) - 1)]
    return (
        f"{name:<14} n={len(seconds):>4}  p50 {statistics.median(seconds) * 1000:7.0f} ms  "
        f"p95 {p95 * 1000:7.0f} ms  max {seconds[-1] * 1000:7.0f} ms  statuses {statuses}"
    )


def _upload(path: Path, token: str, outcome: dict[str, object]) -> None:
    started = time.perf_counter()
    with path.open("rb") as fh, httpx.Client(base_url=BASE, timeout=3600) as client:
        response = client.post(
            "/api/v1/datasets",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (path.name, fh, "text/csv")},
            data={"title": "Bench", "domain": "bench"},
        )
    outcome.update(
        status=response.status_code,
        seconds=time.perf_counter() - started,
        dataset=response.json().get("id"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_500_000)
    parser.add_argument("--idle", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluice-signin-") as name:
        tmp = Path(name)
        env = _environment(tmp)
        _sluice(["db", "upgrade"], env, tmp).wait()
        user = ["create-user", "--email", EMAIL, "--role", "provider"]
        _sluice([*user, "--organization", "Bench", "--password", PASSWORD], env, tmp).wait()
        csv = tmp / "big.csv"
        build(csv, args.rows)
        print(f"{args.rows:,} rows, {csv.stat().st_size / 1024**2:.0f} MB CSV", flush=True)
        server = _sluice(["serve", "--port", str(PORT)], env, tmp)
        try:
            with httpx.Client(base_url=BASE, timeout=120) as client:
                for _ in range(600):
                    try:
                        _sign_in(client)
                        break
                    except httpx.TransportError:
                        time.sleep(0.5)
                idle = [_sign_in(client) for _ in range(args.idle)]
                print(_summary("idle", idle), flush=True)
                token = client.post(
                    "/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}
                ).json()["access_token"]
                outcome: dict[str, object] = {}
                uploader = threading.Thread(target=_upload, args=(csv, token, outcome))
                uploader.start()
                during = []
                while uploader.is_alive():
                    during.append(_sign_in(client))
                uploader.join()
                print(_summary("during ingest", during), flush=True)
                dataset = client.get(
                    f"/api/v1/datasets/{outcome['dataset']}",
                    headers={"Authorization": f"Bearer {token}"},
                ).json()
                print(
                    f"upload: HTTP {outcome['status']} in {outcome['seconds']:.0f} s; dataset "
                    f"{dataset['status']}, {dataset['row_count']:,} rows",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()

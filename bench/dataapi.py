"""Benchmark: the data API against a bare handler over the same Parquet file (issue 14).

    .venv/bin/python bench/dataapi.py [--db sqlite|postgres|both] [--clients 1,16,64]
        [--duration 10] [--warmup 3] [--processes 1,2] [--rows 100000] [--json out.json]

For each database, with no network:

1. a fresh Sluice in a temporary directory: SQLite (a file there) or PostgreSQL (the database
   ``sluice_bench``, created, marked and dropped by the harness; an unmarked one of that name is
   refused), migrated by ``sluice db upgrade``; through the real services, a listed
   ``--rows`` × 8 dataset (4 sensitive columns, masked by the default policy), a buyer with an
   API key and the free plan's entitlement, whose quota (``SLUICE_FREE_PLAN_CALLS`` = 10^9)
   never runs out here;
2. SQL statements per data call: 20 calls in this process through the FastAPI TestClient, with
   a SQLAlchemy ``before_cursor_execute`` listener;
3. for each process count, two uvicorn servers with the same flags (``--workers N
   --log-level warning --no-access-log``): Sluice (``market.shell.app:create_app``) and
   ``bench/bare_app.py`` on the dataset's stored file; for each client count, wrk (in its own
   process, ``bench/dataapi_rows.lua``: a random offset per request, the X-API-Key header,
   min(clients, 2) threads) warms up, then measures Sluice and the bare handler back to back,
   the first of the two alternating from point to point so load from elsewhere hits both
   alike. After each run a probe call must be answered within ``--probe-timeout`` seconds, or
   the server is reported ``hung`` and restarted; a watchdog kills wrk after duration + 30 s.

Every server, the temporary directory and the PostgreSQL database are removed at the end, on
error and on Ctrl-C. Tests never assert timings; this prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataapi_load as load  # noqa: E402
import dataapi_setup as setup  # noqa: E402

NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=_ints, default=[1, 16, 64])
    parser.add_argument("--processes", type=_ints, default=[1, 2])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--timeout", type=int, default=20, help="wrk's request timeout (s)")
    parser.add_argument(
        "--probe-timeout",
        type=float,
        default=60.0,
        help="after a run, a server that answers no call within this is hung (s)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="the PostgreSQL server (its database part is replaced by sluice_bench)",
    )
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--keep-temp", action="store_true", help="keep the logs and files")
    return parser.parse_args(argv)


def bench_database(
    kind: str, args: argparse.Namespace, workdir: Path, stack: ExitStack
) -> dict[str, Any]:
    workdir.mkdir(parents=True)
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'sluice.db'}"
    else:
        url = setup.create_pg_database(args.pg_url)
        stack.callback(setup.drop_pg_database, args.pg_url)
    sluice_env = setup.sluice_environment(url, workdir / "data")
    settings = setup.apply_in_process(sluice_env)
    started = time.monotonic()
    setup.migrate(sluice_env, workdir / "migrate.log")
    seeded = setup.seed(settings, args.rows)
    print(
        f"[{kind}] set up in {time.monotonic() - started:.0f} s: {seeded.rows:,} rows, "
        f"{len(seeded.columns)} columns, {seeded.row_groups} row group(s)",
        flush=True,
    )
    statements = setup.count_statements(url, seeded)
    setup.dispose(url)  # the servers start with no connection of ours open
    print(f"[{kind}] {statements['statements_per_call']:.1f} SQL statements per call", flush=True)
    runs = []
    for processes in args.processes:
        sluice = load.Server(
            "sluice",
            ["market.shell.app:create_app", "--factory", "--app-dir", str(setup.ROOT)],
            processes,
            setup.server_environment(sluice_env),
            workdir,
            f"/api/v1/data/{seeded.dataset_id}/rows",
            "/healthz",
        )
        bare = load.Server(
            "bare",
            ["bare_app:app", "--app-dir", str(load.BENCH)],
            processes,
            setup.server_environment({}, BENCH_PARQUET=str(seeded.parquet)),
            workdir,
            "/rows",
            "/healthz",
        )
        stack.callback(sluice.stop)
        stack.callback(bare.stop)
        try:
            sluice.start()
            bare.start()
            for index, clients in enumerate(args.clients):
                order = (sluice, bare) if index % 2 == 0 else (bare, sluice)
                point: dict[str, Any] = {"processes": processes, "clients": clients}
                for server in order:
                    point[server.name] = load.measure(
                        server,
                        connections=clients,
                        duration=args.duration,
                        warmup=args.warmup,
                        timeout=args.timeout,
                        headers={"X-API-Key": seeded.api_key},
                        max_offset=max(0, seeded.rows - 100),
                        probe_timeout=args.probe_timeout,
                    )
                print(f"[{kind}] {_line(point)}", flush=True)
                runs.append(point)
        finally:
            sluice.stop()
            bare.stop()
    return {
        "database": kind,
        "rows": seeded.rows,
        "columns": seeded.columns,
        "row_groups": seeded.row_groups,
        "statements": statements,
        "runs": runs,
    }


# ---- the report -----------------------------------------------------------------------------


def _errors(result: dict[str, Any]) -> str:
    if not result.get("requests"):
        if result.get("hung_in_warmup"):
            return "HUNG (in warm-up)"
        if result.get("hung"):
            return "HUNG"
        if result.get("after") == "failing":
            return "no reply, then failing"
        return "no reply in the run"
    parts = []
    bad = {code: n for code, n in result.get("statuses", {}).items() if not code.startswith("2")}
    if bad:
        parts.append(" ".join(f"{code}:{n}" for code, n in sorted(bad.items())))
    if result.get("socket_errors"):
        parts.append(f"sock:{result['socket_errors']}")
    if result.get("after") == "hung":
        parts.append("then HUNG")
    elif result.get("after") == "failing":
        parts.append("then failing")
    return ", ".join(parts) or "0"


def _cells(result: dict[str, Any]) -> str:
    if not result.get("requests"):
        return f"{'-':>8} {'-':>8} {'-':>8}"
    return f"{result['ok_rps']:8.1f} {result['p50_ms']:8.1f} {result['p99_ms']:8.1f}"


def _ratio(top: float | None, bottom: float | None) -> str:
    if not top or not bottom:
        return "     -"
    return f"{top / bottom:5.2f}x"


def _line(point: dict[str, Any]) -> str:
    s, b = point["sluice"], point["bare"]
    # A p50 ratio means something only when both served: wrk's p50 covers errors too.
    p50 = _ratio(s.get("p50_ms"), b.get("p50_ms")) if s.get("ok") and b.get("ok") else "     -"
    return (
        f"{point['processes']:>5} {point['clients']:>7} | {_cells(s)} {_errors(s):<18}"
        f"| {_cells(b)} {_errors(b):<10}| {p50} "
        f"{_ratio(b.get('ok_rps'), s.get('ok_rps'))}"
    )


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    name = NAMES[result["database"]]
    lines = [
        f"{name}: {result['rows']:,} rows x {len(result['columns'])} columns "
        f"({result['row_groups']} row group(s)), limit=100 at a random offset, "
        f"{args.duration} s per run after {args.warmup} s of warm-up",
        f"{'procs':>5} {'clients':>7} | {'sluice':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':<18}| {'bare':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':<10}| "
        f"{'p50 s/b':>6} {'rps b/s':>6}",
        f"{'':>5} {'':>7} | {'2xx/s':>8}",
    ]
    lines += [_line(point) for point in result["runs"]]
    lines += _scaling(result["runs"])
    st = result["statements"]
    lines.append(
        f"SQL statements per data call ({st['calls']} calls, TestClient in-process): "
        f"{st['statements_per_call']:.1f}, commits per call: {st['commits_per_call']:.1f}"
    )
    lines += [f"  {n:4.1f} x {shape}" for shape, n in st["shapes_per_call"].items()]
    return "\n".join(lines)


def _scaling(runs: list[dict[str, Any]]) -> list[str]:
    by = {(p["processes"], p["clients"]): p for p in runs}
    out = []
    for (processes, clients), point in sorted(by.items()):
        one = by.get((1, clients))
        if processes == 1 or one is None:
            continue
        out.append(
            f"{processes}-process / 1-process 2xx/s at {clients} clients: sluice "
            f"{_ratio(point['sluice'].get('ok_rps'), one['sluice'].get('ok_rps')).strip()}, "
            f"bare {_ratio(point['bare'].get('ok_rps'), one['bare'].get('ok_rps')).strip()}"
        )
    return out


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    def git(*cmd: str) -> str:
        done = subprocess.run(["git", *cmd], cwd=setup.ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
        "args": {k: str(v) for k, v in vars(args).items()},
    }


def _on_signal(signum: int, _frame: object) -> NoReturn:
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Explicitly: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    meta = _meta(args)
    print(
        f"{meta['date']} commit {meta['commit']} ({meta['branch']}"
        f"{', modified' if meta['dirty'] else ''}), {meta['cpus']} CPUs, "
        f"load average {meta['loadavg_start'][0]:.2f}",
        flush=True,
    )
    results = []
    workdir = Path(tempfile.mkdtemp(prefix="sluice-bench-"))
    with ExitStack() as stack:
        if args.keep_temp:
            print(f"keeping {workdir}")
        else:
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        for kind in kinds:
            results.append(bench_database(kind, args, workdir / kind, stack))
    meta["loadavg_end"] = os.getloadavg()
    print()
    for result in results:
        print(report(result, args))
        print()
    print(
        f"load average: {meta['loadavg_start'][0]:.2f} at start, {meta['loadavg_end'][0]:.2f} at end"
    )
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("interrupted: servers stopped, temporary files and database removed")
        sys.exit(130)

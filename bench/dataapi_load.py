"""Servers and load for bench/dataapi.py: uvicorn processes started and stopped by process
group, wrk runs bounded by a watchdog, and a probe that tells a slow server from a hung one."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A failed request's log line says error=<class>; a traceback ends with "<module.Class>: …" or
# the bare class (the app strips messages).
_ERROR_FIELD = re.compile(r"\berror=(\w+)")
_EXCEPTION_LINE = re.compile(r"^((?:\w+\.)*\w*(?:Error|Exception|Timeout|Cancelled)\w*)\b", re.M)
BENCH = Path(__file__).resolve().parent
LUA = BENCH / "dataapi_rows.lua"
WRK = shutil.which("wrk") or "/usr/bin/wrk"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One uvicorn server (and its workers, all in one process group)."""

    name: str
    app: list[str]  # the app's uvicorn arguments: "module:attr" and e.g. --factory
    workers: int
    env: dict[str, str]
    workdir: Path
    rows_path: str  # path (with no query) of the rows endpoint
    health_path: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    log: Path = field(default_factory=Path)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        self.log = self.workdir / f"{self.name}-{self.workers}w-{self.port}.log"
        metrics_dir = self.workdir / f"prometheus-{self.name}-{self.port}"
        metrics_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            *self.app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env={**self.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: Ctrl-C reaches us, we stop it
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up; see {self.log}")
            if probe(self.base + self.health_path, {}, timeout=2.0)[0]:
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer within 120 s; see {self.log}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Workers spawned by uvicorn's supervisor share the group: make sure none outlives it.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def log_size(self) -> tuple[Path, int]:
        return self.log, self.log.stat().st_size if self.log.exists() else 0

    def errors_since(self, mark: tuple[Path, int]) -> dict[str, int]:
        """Error names in the server's log since ``mark``: the ``error=`` of failed requests'
        lines and the exception classes of tracebacks (the app logs no error messages)."""
        log, offset = mark
        found: Counter[str] = Counter()
        for path, start in ((log, offset), (self.log, 0)) if log != self.log else ((log, offset),):
            if not path.exists():
                continue
            with path.open("rb") as f:
                f.seek(start)
                text = f.read().decode("utf-8", "replace")
            found.update(_ERROR_FIELD.findall(text))
            found.update(_EXCEPTION_LINE.findall(text))
        return dict(found.most_common(8))

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()


def probe(url: str, headers: dict[str, str], *, timeout: float) -> tuple[bool, int, float]:
    """(answered 2xx, status, seconds) of one GET; a timeout or refusal is (False, 0, …)."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return 200 <= response.status < 300, response.status, time.monotonic() - started
    except urllib.error.HTTPError as error:
        return False, error.code, time.monotonic() - started
    except (OSError, TimeoutError):
        return False, 0, time.monotonic() - started


def run_wrk(
    url: str,
    *,
    connections: int,
    duration: int,
    timeout: int,
    headers: dict[str, str],
    max_offset: int,
) -> dict[str, Any]:
    """One wrk run. A watchdog kills wrk after duration + 30 s (wrk itself stops on time, so
    that only happens if it is wedged); the result then says ``hung``."""
    command = [
        WRK,
        "-t",
        str(min(connections, 2)),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        f"{timeout}s",
        "--latency",
        "-s",
        str(LUA),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [url, "--", str(max_offset)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30)
    except subprocess.TimeoutExpired:
        return {"hung": True, "watchdog": True}
    for line in done.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            raw = json.loads(line.removeprefix("BENCHJSON "))
            return _figures(raw)
    return {"hung": True, "wrk_output": done.stdout[-2000:] + done.stderr[-2000:]}


def _figures(raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6 or 1.0
    ok = sum(n for code, n in raw["statuses"].items() if code.startswith("2"))
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "hung": False,
        "requests": raw["requests"],
        "ok": ok,
        "rps": raw["requests"] / seconds,
        "ok_rps": ok / seconds,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non2xx": raw["requests"] - ok,
        "socket_errors": socket_errors,
        "timeouts": raw["timeout"],
        "statuses": raw["statuses"],
    }


def measure(
    server: Server,
    *,
    connections: int,
    duration: int,
    warmup: int,
    timeout: int,
    headers: dict[str, str],
    max_offset: int,
    probe_timeout: float,
) -> dict[str, Any]:
    """Warm up, measure, then settle: once the load has stopped, a server must answer a call
    with 2xx within ``probe_timeout``. One that answers nothing at all is ``hung``; one that
    answers only errors is ``failing``; either is restarted for the next run."""
    common = {"timeout": timeout, "headers": headers, "max_offset": max_offset}
    before = "ok"
    if warmup:
        url = server.base + server.rows_path
        run_wrk(url, connections=connections, duration=warmup, **common)  # type: ignore[arg-type]
        before = settle(server, headers, probe_timeout, when="after the warm-up")
    mark = server.log_size()
    url = server.base + server.rows_path  # a restarted server has a new port
    result = run_wrk(url, connections=connections, duration=duration, **common)  # type: ignore[arg-type]
    result["loadavg"] = os.getloadavg()[0]
    result["after_warmup"] = before
    result["hung_in_warmup"] = before == "hung"
    result["server_errors"] = server.errors_since(mark)
    after = settle(server, headers, probe_timeout, when="after the load")
    result["after"] = after
    result["hung"] = result.get("hung", False) or after == "hung"
    return result


def settle(server: Server, headers: dict[str, str], probe_timeout: float, *, when: str) -> str:
    """Probe until a 2xx answer (queued requests drained): ``ok``; at ``probe_timeout``,
    ``hung`` if the last probe got no HTTP answer, ``failing`` if only errors; then restart."""
    url = server.base + server.rows_path + "?limit=100&offset=0"
    started = time.monotonic()
    state = "hung"
    while (left := probe_timeout - (time.monotonic() - started)) > 0:
        answered, status, _ = probe(url, headers, timeout=left)
        if answered:
            return "ok"
        state = "failing" if status else "hung"
        time.sleep(1.0)
    waited = time.monotonic() - started
    print(f"    {server.name}: {state} {when} (no 2xx in {waited:.0f} s); restarting", flush=True)
    server.restart()
    return state

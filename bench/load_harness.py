"""The pieces of the serving load test (bench/load.py): request files, wrk runs, server processes.

Kept apart from the phases so each stays short. Nothing here knows the service's figures; it only
starts processes, writes request lists and parses what ``bench/load.lua`` prints.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).with_name("load.lua")
MARKER = "LOADJSON "


def require_wrk() -> str:
    """The wrk binary, or exit with how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit(
            "wrk is not installed: apt-get install -y wrk (Debian's wrk 4.1, built with LuaJIT)"
        )
    return path


# --- request files ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any] | None = None

    def line(self) -> str:
        body = json.dumps(self.body, separators=(",", ":"), ensure_ascii=True) if self.body else ""
        return f"{self.method}\t{self.path}\t{body}".rstrip("\t")


def write_requests(path: Path, requests: Sequence[Request]) -> Path:
    """One request a line, as bench/load.lua reads them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(r.line() + "\n" for r in requests), "ascii")
    return path


# --- wrk ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WrkRun:
    """One wrk run: its command line, what it printed and the parsed figures."""

    command: list[str]
    output: str
    figures: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """Figures in milliseconds and requests per second, with error and status counts."""
        f = self.figures
        seconds = f["duration_us"] / 1e6
        statuses = {str(int(float(k))): int(v) for k, v in f.get("statuses", {}).items()}
        errors = {k: int(v) for k, v in f.get("errors", {}).items()}
        ok = sum(v for k, v in statuses.items() if k.startswith("2"))
        out: dict[str, Any] = {
            "seconds": round(seconds, 2),
            "requests": int(f["requests"]),
            "requests_per_s": round(f["requests"] / seconds, 1),
            "ok_per_s": round(ok / seconds, 1),
            "statuses": statuses,
            "non_2xx": sum(v for k, v in statuses.items() if not k.startswith("2")),
            "socket_errors": {k: v for k, v in errors.items() if k != "status"},
            "latency_ms": _ms(f["wrk_latency_us"]),
            "wrk_cpu_share": round(f.get("wrk_cpu_s", 0.0) / seconds, 2),
            "fewest_thread_responses": int(f.get("fewest_thread_responses", 0)),
        }
        if "intended_latency_us" in f:
            out["intended_latency_ms"] = _ms(f["intended_latency_us"])
            out["service_latency_ms"] = _ms(f["service_latency_us"])
        return out


def _ms(block: dict[str, float]) -> dict[str, float]:
    return {k: (round(v / 1000, 2) if k != "n" else int(v)) for k, v in block.items()}


def run_wrk(
    url: str,
    requests_file: Path,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    rate: float | None = None,
    timeout_s: float = 5.0,
    auth: str | None = None,
) -> WrkRun:
    """Closed loop (``rate`` None: every connection sends as soon as its answer is in) or a fixed
    rate (one connection per thread, each on its own schedule; see bench/load.lua)."""
    if rate is not None:
        threads = connections
    threads = min(threads, connections)
    mode = ["rate", str(rate)] if rate is not None else ["closed", "0"]
    command = [
        require_wrk(),
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{int(seconds)}s",
        "--timeout",
        f"{int(timeout_s)}s",
        "-s",
        str(LUA),
        url,
        "--",
        str(requests_file),
        *mode,
        str(threads),
    ]
    env = dict(os.environ)
    if auth:
        env["LOAD_AUTH"] = auth
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    figures = json.loads(line[len(MARKER) :])
    figures["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return WrkRun(command, done.stdout, figures)


# --- processes ----------------------------------------------------------------------------------
def http(
    method: str, url: str, token: str | None = None, body: Any = None, timeout: float = 120.0
) -> tuple[int, Any]:
    """One request with the standard library; returns the status and the parsed JSON body."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> float:
    """Poll ``url`` until it answers 200; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}); see {log}")
        try:
            status, _ = http("GET", url, timeout=5)
            if status == 200:
                return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1.0)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s; see {log}")


def wait_for_line(
    log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float, offset: int = 0
) -> float:
    """Wait until ``text`` appears in ``log`` after byte ``offset``; returns the seconds it
    took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with log.open("rb") as fh:
            fh.seek(offset)
            if text.encode() in fh.read():
                return time.monotonic() - started
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}); see {log}")
        time.sleep(0.5)
    raise RuntimeError(f"no '{text}' in {log} after {timeout:.0f} s")


@contextmanager
def server(
    command: list[str],
    env: dict[str, str],
    ready_url: str,
    log: Path,
    timeout: float = 600.0,
    ready_line: str | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group until the block ends (then SIGTERM, SIGKILL
    after 30 s), once ``ready_url`` answers 200 and, when given, ``ready_line`` appears in the
    output (``talent serve --workers N`` logs ``pool_ready`` once every worker listens: the
    first worker ready answers ``/readyz`` while the others still load). Output goes to
    ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"$ {shlex.join(command)}\n".encode())
        out.flush()
        offset = out.tell()
        proc = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        seconds = wait_ready(ready_url, proc, timeout, log)
        if ready_line is not None:
            seconds += wait_for_line(log, ready_line, proc, timeout, offset)
        print(f"  ready in {seconds:.0f} s: {shlex.join(command[:6])} ...", flush=True)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in a process group (the server and its
    workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine() -> dict[str, Any]:
    """What the figures were measured on, and how busy it was at the start."""
    mem = Path("/proc/meminfo").read_text()
    total_kb = int(re.search(r"MemTotal:\s+(\d+)", mem).group(1))  # type: ignore[union-attr]
    wrk = subprocess.run([require_wrk(), "--version"], capture_output=True, text=True)
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(total_kb / 2**20, 1),
        "loadavg_at_start": os.getloadavg(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0].strip(),
    }

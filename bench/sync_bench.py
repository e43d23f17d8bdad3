"""Encrypted sync throughput against a real gunicorn + PostgreSQL.

Creates (or recreates) a bench database, migrates it, starts gunicorn on it, registers a
user through the API, moves it to full_sync, then measures with 1 and 8 concurrent
devices of that user (threads, one HTTP session each):

- single pushes (POST /api/sync/backup, one new entry per request),
- batch pushes (POST /api/sync/batch, 100 new entries per request),
- pulls of 500-entry pages (GET /api/sync/backups, cursor loop over the whole feed).

Entries are real AES-256-GCM ciphertexts of ~2 KiB texts. Prints entries/s and per-request
p50/p99 latencies. Usage (from the repository root):

    .venv/bin/python bench/sync_bench.py [--port N] [--database reflective_sync_bench]

Server environment (BENCH_DEBUG, BENCH_LOG_LEVEL): see ``bench/common.py``.
"""

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from common import (
    DEFAULT_POSTGRES,
    account_create,
    database_prepare,
    entry_body,
    port_free,
    server_start,
    server_stop,
)
from load_report import postgres_cpu, process_tree_cpu


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds so far of gunicorn (master and workers), PostgreSQL and this client."""

    server: float
    database: float
    client: float

    @classmethod
    def now(cls, server_pid: int) -> "CpuUse":
        return cls(process_tree_cpu(server_pid), postgres_cpu(), time.process_time())

    def __sub__(self, other: "CpuUse") -> "CpuUse":
        return CpuUse(
            self.server - other.server, self.database - other.database, self.client - other.client
        )


@dataclass
class Result:
    name: str
    devices: int
    requests: int
    entries: int
    seconds: float
    latencies_ms: list[float]
    cpu: CpuUse

    def row(self) -> str:
        ordered = sorted(self.latencies_ms)
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        rate = self.entries / self.seconds
        per_request = 1000 / self.requests
        cpu = [self.cpu.server, self.cpu.database, self.cpu.client]
        return (
            f"{self.name:<14} {self.devices:>7} {self.requests:>8} {self.entries:>8} "
            f"{self.seconds:>7.2f} {rate:>10.0f} {p50:>8.1f} {p99:>8.1f} "
            + " ".join(f"{seconds * per_request:>6.2f}" for seconds in cpu)
        )


HEADER = (
    f"{'scenario':<14} {'devices':>7} {'requests':>8} {'entries':>8} "
    f"{'seconds':>7} {'entries/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
    "CPU ms per request: server  postgres  client"
)


class Device:
    """One device: prepared bodies, one HTTP connection per request (gunicorn's sync
    workers close each connection), latencies recorded at the client.

    It speaks HTTP with the standard library's ``http.client`` rather than ``requests``:
    the generator shares the machine's two CPUs with the server, and ``requests`` cost
    about a millisecond more per request, CPU the server under test would then not get.
    """

    def __init__(self, base: str, token: str, name: str) -> None:
        self.host = urlsplit(base).netloc
        self.name = name
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.latencies_ms: list[float] = []
        self.bodies: list[bytes] = []

    def _timed(self, method: str, path: str, body: bytes | None = None) -> Any:
        started = time.perf_counter()
        connection = HTTPConnection(self.host, timeout=120)
        try:
            connection.request(method, path, body=body, headers=self.headers)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
        return json.loads(payload)

    def prepare_singles(self, count: int, prefix: str) -> None:
        self.bodies = [
            json.dumps(entry_body(f"{prefix}-{self.name}-{n}", self.name)).encode()
            for n in range(count)
        ]

    def prepare_batches(self, batches: int, prefix: str) -> None:
        self.bodies = [
            json.dumps(
                {
                    "items": [
                        entry_body(f"{prefix}-{self.name}-{b}-{n}", self.name) for n in range(100)
                    ]
                }
            ).encode()
            for b in range(batches)
        ]

    def push_singles(self) -> int:
        for body in self.bodies:
            self._timed("POST", "/api/sync/backup", body)
        return len(self.bodies)

    def push_batches(self) -> int:
        for body in self.bodies:
            results = self._timed("POST", "/api/sync/batch", body)["results"]
            assert all(result["status"] == "stored" for result in results)
        return 100 * len(self.bodies)

    def pull_all(self) -> int:
        cursor, pulled = None, 0
        while True:
            query = urlencode({"limit": 500, **({"cursor": cursor} if cursor else {})})
            page = self._timed("GET", f"/api/sync/backups?{query}")
            pulled += len(page["backups"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return pulled


def scenario(
    name: str, devices: list[Device], work: Callable[[Device], int], server_pid: int
) -> Result:
    for device in devices:
        device.latencies_ms = []
    cpu_before = CpuUse.now(server_pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        entries = sum(pool.map(work, devices))
    seconds = time.perf_counter() - started
    cpu = CpuUse.now(server_pid) - cpu_before
    latencies = [ms for device in devices for ms in device.latencies_ms]
    return Result(name, len(devices), len(latencies), entries, seconds, latencies, cpu)


def run(base: str, token: str, singles: int, batches: int, server_pid: int) -> list[Result]:
    results: list[Result] = []
    for count in (1, 8):
        devices = [Device(base, token, f"dev{count}x{n}") for n in range(count)]
        # Warm up connections and worker caches outside the measurement.
        for device in devices:
            device.prepare_singles(3, "warm")
        scenario("warm-up", devices, Device.push_singles, server_pid)
        for device in devices:
            device.prepare_singles(max(1, singles // count), "s")
        results.append(scenario("single push", devices, Device.push_singles, server_pid))
        for device in devices:
            device.prepare_batches(max(1, batches // count), "b")
        results.append(scenario("batch push", devices, Device.push_batches, server_pid))
        results.append(scenario("pull 500/page", devices, Device.pull_all, server_pid))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--database", default="reflective_sync_bench")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--singles", type=int, default=2000, help="single pushes per scenario")
    parser.add_argument("--batches", type=int, default=80, help="batches of 100 per scenario")
    parser.add_argument("--log", default=str(Path(tempfile.gettempdir()) / "sync_bench.log"))
    args = parser.parse_args()

    port = port_free(args.port)
    database_url = database_prepare(args.postgres, args.database)
    server = server_start(database_url, port, Path(args.log))
    base = f"http://127.0.0.1:{port}"
    try:
        token = account_create(base, database_url)
        results = run(base, token, args.singles, args.batches, server.pid)
    finally:
        server_stop(server)
    print(HEADER)
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()

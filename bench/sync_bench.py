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
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from common import (
    DEFAULT_POSTGRES,
    account_create,
    database_prepare,
    entry_body,
    port_free,
    server_start,
    server_stop,
)


@dataclass
class Result:
    name: str
    devices: int
    requests: int
    entries: int
    seconds: float
    latencies_ms: list[float]

    def row(self) -> str:
        ordered = sorted(self.latencies_ms)
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        rate = self.entries / self.seconds
        return (
            f"{self.name:<14} {self.devices:>7} {self.requests:>8} {self.entries:>8} "
            f"{self.seconds:>7.2f} {rate:>10.0f} {p50:>8.1f} {p99:>8.1f}"
        )


HEADER = (
    f"{'scenario':<14} {'devices':>7} {'requests':>8} {'entries':>8} "
    f"{'seconds':>7} {'entries/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
)


class Device:
    def __init__(self, base: str, token: str, name: str) -> None:
        self.base = base
        self.name = name
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.latencies_ms: list[float] = []
        self.bodies: list[dict[str, Any]] = []

    def _timed(self, method: str, path: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = self.http.request(method, f"{self.base}{path}", timeout=120, **kwargs)
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response.json()

    def prepare_singles(self, count: int, prefix: str) -> None:
        self.bodies = [entry_body(f"{prefix}-{self.name}-{n}", self.name) for n in range(count)]

    def prepare_batches(self, batches: int, prefix: str) -> None:
        self.bodies = [
            {"items": [entry_body(f"{prefix}-{self.name}-{b}-{n}", self.name) for n in range(100)]}
            for b in range(batches)
        ]

    def push_singles(self) -> int:
        for body in self.bodies:
            self._timed("POST", "/api/sync/backup", json=body)
        return len(self.bodies)

    def push_batches(self) -> int:
        for payload in self.bodies:
            results = self._timed("POST", "/api/sync/batch", json=payload)["results"]
            assert all(result["status"] == "stored" for result in results)
        return sum(len(payload["items"]) for payload in self.bodies)

    def pull_all(self) -> int:
        cursor, pulled = None, 0
        while True:
            params: dict[str, Any] = {"limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = self._timed("GET", "/api/sync/backups", params=params)
            pulled += len(page["backups"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return pulled


def scenario(name: str, devices: list[Device], work: Callable[[Device], int]) -> Result:
    for device in devices:
        device.latencies_ms = []
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        entries = sum(pool.map(work, devices))
    seconds = time.perf_counter() - started
    latencies = [ms for device in devices for ms in device.latencies_ms]
    return Result(name, len(devices), len(latencies), entries, seconds, latencies)


def run(base: str, token: str, singles: int, batches: int) -> list[Result]:
    results: list[Result] = []
    for count in (1, 8):
        devices = [Device(base, token, f"dev{count}x{n}") for n in range(count)]
        # Warm up connections and worker caches outside the measurement.
        for device in devices:
            device.prepare_singles(3, "warm")
        scenario("warm-up", devices, Device.push_singles)
        for device in devices:
            device.prepare_singles(max(1, singles // count), "s")
        results.append(scenario("single push", devices, Device.push_singles))
        for device in devices:
            device.prepare_batches(max(1, batches // count), "b")
        results.append(scenario("batch push", devices, Device.push_batches))
        results.append(scenario("pull 500/page", devices, Device.pull_all))
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
        results = run(base, token, args.singles, args.batches)
    finally:
        server_stop(server)
    print(HEADER)
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()

"""The heavy paths over HTTP, measured the way a client sees them.

Starts the server as production runs it (gunicorn with ``gunicorn.conf.py``, DEBUG off,
PostgreSQL) in its own process on a free port, and drives it over real sockets with a plain
httpx client on this machine's CPUs:

- upload: ``POST /api/encryption/metrics``, batches of 25 real 8192-degree CKKS ciphertexts
  (``--degree 4096``: 81 KB ones instead of 331 KB) made by ``reflective_client``, under a
  public context that carries relinearization keys (what a default TenSEAL client
  serializes); one client, metrics/s; the JSON shape (base64);
- upload_binary: the same batches as the framed ``application/octet-stream`` upload the
  reference client sends by default;
- aggregate: ``POST /api/encryption/aggregate``, a sum over a year of daily values (365),
  p50 at the client and in the server's access log (``duration_ms``); the same query each
  time, so after the first per worker it is answered from the cache of finished sums;
- aggregate_uncached: the same sum with a range end that differs by a microsecond each
  time (same data, new cache key), so every request computes the sum;
- pull: ``GET /api/sync/backups`` in pages of 500 to the end of the feed, entries/s, the
  client's JSON decoding included;
- push: ``POST /api/sync/backup``, one new entry per request, 1 and 8 clients, rate and p99.
  The 8 clients are 8 devices of one account (their pushes take the account's feed lock
  in turn, as a user's devices do), or with ``--push-accounts 8`` one device each of 8
  accounts (nothing shared but the server).

Every figure also prints the CPU milliseconds per request of gunicorn (master and workers),
of this client and of PostgreSQL (every live postgres process). Usage (from the repository root):

    .venv/bin/python bench/http_heavy.py                    # every figure, a few minutes
    .venv/bin/python bench/http_heavy.py --figure upload --figure aggregate --batches 20

The database given by --database is dropped and recreated.
"""

import argparse
import base64
import gc
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import psycopg
import tenseal as ts
from common import (
    DEFAULT_POSTGRES,
    account_create,
    database_prepare,
    entry_body,
    port_free,
    server_start,
    server_stop,
)
from load_report import percentile, postgres_cpu, process_tree_cpu

from reflective_client.analytics import (
    FRAME_CONTENT_TYPE,
    MetricPoint,
    encrypt_points,
    encrypt_points_raw,
    metrics_frame,
)
from reflective_client.crypto import CKKS_PARAMETERS, CkksKeys

FIGURES = ("upload", "upload_binary", "aggregate", "aggregate_uncached", "pull", "push")
PRODUCTION_ENV = {
    "BENCH_DEBUG": "false",
    "BENCH_LOG_LEVEL": "INFO",  # the access log gives the server's time per request
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
}
YEAR_START = datetime(2024, 1, 1, tzinfo=UTC)


class DefaultTensealKeys(CkksKeys):
    """Client keys whose public context is what TenSEAL's default ``serialize()`` sends:
    public key and relinearization keys (1.8 MB; the reference client's has no relin keys)."""

    def __init__(self, context: ts.Context) -> None:
        super().__init__(bytes(context.serialize(save_secret_key=True)))
        self._public = bytes(context.serialize())

    @cached_property
    def public_context(self) -> bytes:
        return self._public


def keys_with_relinearization(degree: int = 8192) -> CkksKeys:
    coeff_mod_bit_sizes, scale_bits = CKKS_PARAMETERS[degree]
    context = ts.context(ts.SCHEME_TYPE.CKKS, degree, coeff_mod_bit_sizes=coeff_mod_bit_sizes)
    context.global_scale = 2**scale_bits
    assert context.has_relin_keys()
    return DefaultTensealKeys(context)


@dataclass
class Measure:
    """Latencies at the client, and CPU seconds of server and client, for one figure."""

    name: str
    clients: int
    items: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    postgres_cpu: float = 0.0

    def row(self, unit: str) -> str:
        ordered = sorted(self.latencies_ms)
        requests = len(ordered)
        server = statistics.median(self.server_ms) if self.server_ms else float("nan")
        return (
            f"{self.name:<22} {self.clients:>3} {requests:>5} {self.items / self.seconds:>9.1f} "
            f"{unit:<10} p50 {statistics.median(ordered):>7.1f}  p99 "
            f"{percentile(ordered, 0.99):>7.1f}  server p50 {server:>7.1f} ms  "
            f"CPU ms/request server {1000 * self.server_cpu / requests:>6.1f} "
            f"client {1000 * self.client_cpu / requests:>6.1f} "
            f"postgres {1000 * self.postgres_cpu / requests:>6.1f}"
        )


class Server:
    """gunicorn under test; reads its access log for the server's time per request."""

    def __init__(self, database: str, postgres: str, port: int, log: Path) -> None:
        for name, value in PRODUCTION_ENV.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
        self.log = log
        self.database_url = database_prepare(postgres, database)
        port = port_free(port)
        self.process = server_start(self.database_url, port, log)
        self.base = f"http://127.0.0.1:{port}"
        self._log_offset = 0

    def stop(self) -> None:
        server_stop(self.process)

    def analyze(self) -> None:
        """Statistics for the planner after seeding, as autovacuum gathers them in production
        (a PostgreSQL with autovacuum off would otherwise plan the reads blind)."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute("ANALYZE")

    def cpu(self) -> float:
        return process_tree_cpu(self.process.pid)

    def durations_since_mark(self, route_part: str) -> list[float]:
        """``duration_ms`` of the access lines for routes containing ``route_part``."""
        with self.log.open("rb") as log:
            log.seek(self._log_offset)
            lines = log.read().splitlines()
        found = []
        for line in lines:
            if not line.startswith(b"{"):
                continue
            record = json.loads(line)
            if record.get("logger") == "reflective.access" and route_part in record["route"]:
                found.append(float(record["duration_ms"]))
        return found

    def mark(self) -> None:
        self._log_offset = self.log.stat().st_size


class Client:
    """One plain httpx client with a bearer token; every call is timed at the client."""

    stored_year = False  # the aggregate figures' year of daily values is on the server

    def __init__(self, base: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(base_url=base, headers=headers, timeout=300)
        self.latencies_ms: list[float] = []

    def call(self, method: str, path: str, due: float | None = None, **kwargs: Any) -> Any:
        """One request; its latency runs from ``due`` (when it was meant to leave) if given."""
        started = time.perf_counter() if due is None else due
        response = self.http.request(method, path, **kwargs)
        body = response.json()
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {str(body)[:300]}")
        return body


def measured(
    server: Server, name: str, clients: list[Client], work: Callable[[Client], int], route: str
) -> Measure:
    """Run ``work`` once per client, each in its own thread; items counted by ``work``.

    This process's heap is collected and frozen first, as the server's workers do at start:
    a full collection of the setup's objects (keys, bodies, earlier figures) once paused
    all 8 client threads for 30-40 ms at once, half of the 8-client push's p99 tail, a
    pause no separate client device would have.
    """
    for client in clients:
        client.latencies_ms = []
    gc.collect()
    gc.freeze()
    server.mark()
    cpu_server, cpu_client, cpu_postgres = server.cpu(), time.process_time(), postgres_cpu()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        items = sum(pool.map(work, clients))
    seconds = time.perf_counter() - started
    result = Measure(name, len(clients), items, seconds)
    result.server_cpu = server.cpu() - cpu_server
    result.client_cpu = time.process_time() - cpu_client
    result.postgres_cpu = postgres_cpu() - cpu_postgres
    result.latencies_ms = [ms for client in clients for ms in client.latencies_ms]
    gc.unfreeze()
    time.sleep(0.3)  # the last access lines reach the log file
    result.server_ms = server.durations_since_mark(route)
    return result


# --- figures -------------------------------------------------------------------------
def metric_batches(
    keys: CkksKeys, metric_type: str, days: int, per_batch: int, pool: int
) -> list[list[dict[str, Any]]]:
    """``days`` daily metrics from 2024-01-01 in batches; ``pool`` distinct ciphertexts
    are encrypted and reused (the server validates and stores each upload anew)."""
    points = [
        MetricPoint(metric_type, [float(day % 7)], YEAR_START + timedelta(days=day, hours=12))
        for day in range(min(pool, days))
    ]
    encrypted = encrypt_points(keys, points)
    items = []
    for day in range(days):
        stamp = (YEAR_START + timedelta(days=day, hours=12)).isoformat()
        items.append({**encrypted[day % len(encrypted)], "timestamp": stamp})
    return [items[n : n + per_batch] for n in range(0, len(items), per_batch)]


def figure_upload(server: Server, token: str, keys: CkksKeys, batches: int) -> Measure:
    bodies = metric_batches(keys, "upload_bench", 25 * (batches + 1), 25, pool=25)
    client = Client(server.base, token)
    client.call("POST", "/api/encryption/metrics", json={"metrics": bodies.pop()})  # warm-up

    def upload(client: Client) -> int:
        for batch in bodies:
            client.call("POST", "/api/encryption/metrics", json={"metrics": batch})
        return sum(len(batch) for batch in bodies)

    return measured(server, "metric upload (25)", [client], upload, "encryption/metrics")


def figure_upload_binary(
    server: Server, token: str, keys: CkksKeys, batches: int, clients: int = 1
) -> Measure:
    """As ``figure_upload``, as frames built in the timed loop, as a client builds them.
    With several clients, each uploads its own metric type (its own series)."""
    points = [MetricPoint("pool", [float(day % 7)], YEAR_START) for day in range(25)]
    pool = [blob for _, blob in encrypt_points_raw(keys, points)]

    def frames(metric_type: str) -> list[list[tuple[dict[str, Any], bytes]]]:
        stamps = [YEAR_START + timedelta(days=day, hours=12) for day in range(25 * (batches + 1))]
        items = [
            ({"metric_type": metric_type, "timestamp": t.isoformat(), "key_id": keys.key_id}, blob)
            for t, blob in zip(stamps, pool * (batches + 1), strict=True)
        ]
        return [items[n : n + 25] for n in range(0, len(items), 25)]

    headers = {"Content-Type": FRAME_CONTENT_TYPE}
    devices = [Client(server.base, token) for _ in range(clients)]
    work = {device: frames(f"upload_binary_{clients}_{n}") for n, device in enumerate(devices)}
    for device in devices:  # warm-up
        warm = metrics_frame(work[device].pop())
        device.call("POST", "/api/encryption/metrics", content=warm, headers=headers)

    def upload(device: Client) -> int:
        for batch in work[device]:
            body = metrics_frame(batch)
            device.call("POST", "/api/encryption/metrics", content=body, headers=headers)
        return sum(len(batch) for batch in work[device])

    return measured(server, "binary upload (25)", devices, upload, "encryption/metrics")


def _aggregate_checked(client: Client, keys: CkksKeys, body: dict[str, Any]) -> None:
    answer = client.call("POST", "/api/encryption/aggregate", json=body)
    total = keys.decrypt(base64.b64decode(answer["encrypted_result"]))[0]
    expected = sum(float(day % 7) for day in range(365))
    if answer["count"] != 365 or abs(total - expected) > 1e-2:
        raise SystemExit(f"aggregate answered count {answer['count']}, sum {total}")


def _year_stored(client: Client, keys: CkksKeys) -> None:
    for batch in metric_batches(keys, "daily", 365, 25, pool=7):
        client.call("POST", "/api/encryption/metrics", json={"metrics": batch})


def _year_query(end_offset_us: int = 0) -> dict[str, Any]:
    end = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(microseconds=end_offset_us)
    return {
        "metric_type": "daily",
        "operation": "sum",
        "time_range": {"start": "2024-01-01T00:00:00+00:00", "end": end.isoformat()},
        "timezone": "UTC",
    }


def figure_aggregate(
    server: Server, token: str, keys: CkksKeys, requests: int, *, cached: bool
) -> Measure:
    """The client (httpx with brotli installed) sends Accept-Encoding with br and decodes."""
    client = Client(server.base, token)
    if not client.stored_year:
        _year_stored(client, keys)
    _aggregate_checked(client, keys, _year_query())  # warm-up, checked
    queries = [_year_query(0 if cached else n + 1) for n in range(requests)]

    def aggregate(client: Client) -> int:
        for body in queries:
            client.call("POST", "/api/encryption/aggregate", json=body)
        return requests

    sent = client.http.post("/api/encryption/aggregate", json=queries[-1])
    encoding = sent.headers.get("Content-Encoding", "identity")
    print(f"aggregate answer: {sent.num_bytes_downloaded} bytes on the wire ({encoding})")
    name = "aggregate sum of 365" if cached else "aggregate 365 uncached"
    measure = measured(server, name, [client], aggregate, "encryption/aggregate")
    _aggregate_checked(client, keys, queries[-1])
    return measure


def figure_pull(server: Server, token: str, entries: int, rounds: int) -> Measure:
    client = Client(server.base, token)
    for start in range(0, entries, 100):
        items = [entry_body(f"pull-{n}", "pusher") for n in range(start, start + 100)]
        client.call("POST", "/api/sync/batch", json={"items": items})
    server.analyze()

    def pull(client: Client) -> int:
        pulled = 0
        for _ in range(rounds):
            cursor = None
            while True:
                params: dict[str, Any] = {"limit": 500} | ({"cursor": cursor} if cursor else {})
                page = client.call("GET", "/api/sync/backups", params=params)
                pulled += len(page["backups"])
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
        return pulled

    pull(client)  # warm-up
    return measured(server, "pull, pages of 500", [client], pull, "sync/backups")


def figure_push(
    server: Server, tokens: list[str], clients: int, pushes: int, rate: float = 0.0
) -> Measure:
    """``clients`` devices push new entries; client ``d`` uses ``tokens[d % len(tokens)]``.

    With ``rate`` 0 each pushes again as soon as it has its answer (the server's capacity,
    where latency is queueing: 8 clients / pushes per second). Otherwise each pushes
    ``rate`` times a second on a fixed schedule, and a push's latency runs from when it was
    due, so a server that falls behind is charged for the wait (no coordinated omission).
    """
    devices = [Client(server.base, tokens[d % len(tokens)]) for d in range(clients)]
    per_client = max(1, pushes // clients)
    bodies = {
        device: [entry_body(f"p{clients}-{d}-{n}", f"dev{d}") for n in range(per_client)]
        for d, device in enumerate(devices)
    }
    for d, device in enumerate(devices):  # warm-up
        device.call("POST", "/api/sync/backup", json=entry_body(f"w{clients}-{d}", f"dev{d}"))

    def push(device: Client) -> int:
        start = time.perf_counter() + (random.random() / rate if rate else 0.0)
        for n, body in enumerate(bodies[device]):
            due = None
            if rate:
                due = start + n / rate
                time.sleep(max(0.0, due - time.perf_counter()))
            device.call("POST", "/api/sync/backup", json=body, due=due)
        return per_client

    accounts = min(clients, len(tokens))
    name = f"single push x{clients}" + (f" ({accounts} accounts)" if accounts > 1 else "")
    name += f" at {rate * clients:g}/s" if rate else ""
    return measured(server, name, devices, push, "sync/backup")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--figure", action="append", choices=FIGURES, help="default: all")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--database", default="reflective_perf")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--degree",
        type=int,
        default=8192,
        choices=sorted(CKKS_PARAMETERS),
        help="CKKS degree of the account's keys (ciphertexts of 81 KB at 4096, 331 KB at 8192)",
    )
    parser.add_argument("--batches", type=int, default=12, help="upload: batches of 25")
    parser.add_argument(
        "--upload-clients", type=int, default=2, help="upload_binary: also with this many"
    )
    parser.add_argument("--aggregates", type=int, default=40, help="aggregate: requests")
    parser.add_argument("--entries", type=int, default=5000, help="pull: entries in the feed")
    parser.add_argument("--rounds", type=int, default=3, help="pull: walks of the whole feed")
    parser.add_argument("--pushes", type=int, default=800, help="push: pushes per figure")
    parser.add_argument(
        "--push-accounts",
        type=int,
        default=1,
        help="push: accounts the 8 clients share (1: 8 devices of one account)",
    )
    parser.add_argument(
        "--push-rate",
        type=float,
        default=0.0,
        help="push: each client's pushes/s on a fixed schedule (0: as fast as answered)",
    )
    parser.add_argument("--log", default=str(Path(tempfile.gettempdir()) / "http_heavy.log"))
    args = parser.parse_args()
    figures = args.figure or list(FIGURES)

    server = Server(args.database, args.postgres, args.port, Path(args.log))
    rows = []
    try:
        keys = keys_with_relinearization(args.degree)
        token = account_create(server.base, server.database_url, public_context=keys.public_context)
        if "upload" in figures:
            rows.append(figure_upload(server, token, keys, args.batches).row("metrics/s"))
        if "upload_binary" in figures:
            for clients in sorted({1, args.upload_clients}):
                figure = figure_upload_binary(server, token, keys, args.batches, clients)
                rows.append(figure.row("metrics/s"))
        for name in ("aggregate", "aggregate_uncached"):
            if name in figures:
                cached = name == "aggregate"
                figure = figure_aggregate(server, token, keys, args.aggregates, cached=cached)
                Client.stored_year = True
                rows.append(figure.row("sums/s"))
        if "pull" in figures:
            rows.append(figure_pull(server, token, args.entries, args.rounds).row("entries/s"))
        if "push" in figures:
            tokens = [token] + [
                account_create(server.base, server.database_url, label=f"push{n}")
                for n in range(1, args.push_accounts)
            ]
            for clients in (1, 8):
                figure = figure_push(server, tokens, clients, args.pushes, args.push_rate)
                rows.append(figure.row("pushes/s"))
    finally:
        server.stop()
    print(f"{'figure':<22} {'cl':>3} {'reqs':>5} {'rate':>9}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

"""Encrypted analytics: upload throughput and aggregation latency, rollups vs naive.

Runs against PostgreSQL (DATABASE_URL, default the local reflective_analytics database)
at poly_modulus_degree 8192 with real TenSEAL ciphertexts:

1. Service-level uploads (validation + storage + rollups, no HTTP) in 100-metric batches,
   for dense data (27 values a day) and sparse data (one value a day).
2. For 100, 1,000 and 10,000 stored metrics spread over 2024 (America/Los_Angeles), and for
   one value a day over 2024 (365 values): server time of POST /aggregate work
   (``metrics_aggregate``: reads, deserialization, sums, serialization of the result) for
   a calendar year, a rolling 365 days, month buckets and week buckets, against a naive
   baseline in the same run that loads every metric of the range and sums it. Every
   result is decrypted and checked against the plaintext.
3. The HTTP path through a real gunicorn (2 sync workers): uploads of 50-metric requests
   from 1 and 2 clients, GET /api/encryption/context, an aggregate, a hostile 3-byte
   ciphertext (the workers must survive it), and each worker's peak RSS.

Usage (from the repository root, after ``manage.py migrate``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reflective_analytics \\
        .venv/bin/python bench/analytics_bench.py [--sizes 100,1000,10000] [--skip-http]
"""

import argparse
import base64
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
import tenseal as ts

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflective.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/reflective_analytics")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from accounts.models import User  # noqa: E402
from accounts.tokens import session_start  # noqa: E402
from analytics.aggregation.cache import Aggregate  # noqa: E402
from analytics.aggregation.query import metrics_aggregate  # noqa: E402
from analytics.aggregation.sums import Operation  # noqa: E402
from analytics.formats.ckks import parameters_context  # noqa: E402
from analytics.models import EncryptedMetric  # noqa: E402
from analytics.periods import Level  # noqa: E402
from analytics.services.keys import public_context_install  # noqa: E402
from analytics.services.uploads import MetricUpload, metrics_upload  # noqa: E402
from reflective.lib.db.ciphertexts import ciphertexts_by_id  # noqa: E402

GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
ZONE_NAME = "America/Los_Angeles"
ZONE = ZoneInfo(ZONE_NAME)
YEAR_START = datetime(2024, 1, 1, tzinfo=ZONE).astimezone(UTC)
YEAR_END = datetime(2025, 1, 1, tzinfo=ZONE).astimezone(UTC)
POOL = 64  # distinct ciphertexts, reused: the server validates and stores each upload anew
REPEATS = 5


class Client:
    """The client side: secret context, a pool of ciphertexts with known plaintexts."""

    def __init__(self) -> None:
        self.context = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[60, 40, 40, 60])
        self.context.global_scale = 2**40
        self.public = bytes(self.context.serialize(save_secret_key=False, save_relin_keys=False))
        self.values = [float(n * 7 % 101 - 20) for n in range(POOL)]
        self.blobs = [bytes(ts.ckks_vector(self.context, [v]).serialize()) for v in self.values]

    def decrypt(self, blob: bytes) -> float:
        return float(ts.ckks_vector_from(self.context, blob).decrypt()[0])


def bench_user(client: Client) -> User:
    user = User.objects.create_user(
        f"bench-{uuid.uuid4().hex[:10]}@example.com",
        "bench password 4 analytics",
        privacy_tier="analytics_sync",
        timezone=ZONE_NAME,
    )
    public_context_install(user=user, key_bytes=client.public)
    return user


def spread(count: int) -> list[datetime]:
    """``count`` instants spread evenly over local 2024, a little off the hour."""
    span = (YEAR_END - YEAR_START).total_seconds()
    return [YEAR_START + timedelta(seconds=span * (i + 0.37) / count) for i in range(count)]


def store(client: Client, user: User, stamps: list[datetime], batch: int = 100) -> float:
    """Upload through the service in batches; returns metrics per second."""
    started = time.perf_counter()
    for first in range(0, len(stamps), batch):
        metrics_upload(
            user=user,
            metrics=[
                MetricUpload("word_count", client.blobs[i % POOL], stamps[i])
                for i in range(first, min(first + batch, len(stamps)))
            ],
        )
    return len(stamps) / (time.perf_counter() - started)


def truth(client: Client, stamps: list[datetime], lower: datetime, upper: datetime) -> float:
    return sum(client.values[i % POOL] for i, t in enumerate(stamps) if lower <= t < upper)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Median milliseconds of REPEATS calls, and the last result."""
    times, result = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def naive_sum(user: User, lower: datetime, upper: datetime) -> bytes:
    """The earlier server's way: every metric of the range, loaded and added."""
    context = parameters_context(8192)
    ids = EncryptedMetric.objects.filter(
        user=user, series__metric_type="word_count", timestamp__gte=lower, timestamp__lt=upper
    ).values_list("id", flat=True)
    total = None
    for _, blob in ciphertexts_by_id(EncryptedMetric, list(ids)):
        vector = ts.ckks_vector_from(context, blob)
        total = vector if total is None else total + vector
    assert total is not None
    return bytes(total.serialize())


def check(client: Client, blob: bytes | None, expected: float) -> str:
    assert blob is not None
    got = client.decrypt(blob)
    ok = abs(got - expected) <= 1e-3 * max(1.0, abs(expected))
    return "ok" if ok else f"WRONG ({got:.3f} != {expected:.3f})"


def aggregate_sum(user: User, query: dict[str, Any]) -> Aggregate:
    return metrics_aggregate(user=user, metric_type="word_count", operation=Operation.SUM, **query)


def aggregate_rows(client: Client, label: str, stamps: list[datetime]) -> list[str]:
    user = bench_user(client)
    rate = store(client, user, stamps)
    rolling_lower = datetime(2024, 1, 15, 13, 37, tzinfo=UTC)
    rolling_upper = rolling_lower + timedelta(days=365)
    queries: dict[str, dict[str, Any]] = {
        "calendar year": {"start": YEAR_START, "end": YEAR_END},
        "rolling 365 days": {"start": rolling_lower, "end": rolling_upper},
        "month buckets": {"bucket": Level.MONTH},
        "week buckets": {"bucket": Level.WEEK},
    }
    rows = []
    for name, extra in queries.items():
        ms, result = timed(partial(aggregate_sum, user, extra))
        lower, upper = extra.get("start", YEAR_START), extra.get("end", YEAR_END)
        verdict = check(client, result.encrypted_result, truth(client, stamps, lower, upper))
        buckets = len(result.buckets) if result.buckets else 1
        rows.append(
            f"| {label} | {name} | {buckets} | {result.ciphertexts_read} | {ms:.1f} | {verdict} |"
        )
    naive_ms, blob = timed(lambda: naive_sum(user, YEAR_START, YEAR_END))
    verdict = check(client, blob, truth(client, stamps, YEAR_START, YEAR_END))
    rows.append(
        f"| {label} | naive: load all, calendar year | 1 | {len(stamps)} "
        f"| {naive_ms:.1f} | {verdict} |"
    )
    year_ms = float(rows[0].split("|")[5])
    rows.append(f"| {label} | rollup speed-up (calendar year) | | | {naive_ms / year_ms:.0f}x | |")
    rows.append(f"| {label} | service uploads while filling | | | {rate:.0f} metrics/s | |")
    user.delete()
    return rows


# --- HTTP through gunicorn -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn_start(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WEB_CONCURRENCY": "2", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            GUNICORN,
            "reflective.wsgi:application",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=1).ok:
                return server
        except requests.ConnectionError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def worker_pids(master: int) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True, check=False
    )
    return sorted(int(pid) for pid in found.stdout.split())


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def http_rows(client: Client, port: int, master: int) -> list[str]:
    base = f"http://127.0.0.1:{port}/api"
    user = bench_user(client)
    headers = {"Authorization": f"Bearer {session_start(user=user)['access_token']}"}
    stamps = spread(1130)
    items = [
        {
            "metric_type": "word_count",
            "encrypted_value": base64.b64encode(client.blobs[i % POOL]).decode(),
            "timestamp": stamp.isoformat(),
        }
        for i, stamp in enumerate(stamps)
    ]
    rows = []

    def post(batch: list[dict[str, Any]]) -> float:
        started = time.perf_counter()
        response = requests.post(
            f"{base}/encryption/metrics", json={"metrics": batch}, headers=headers, timeout=300
        )
        response.raise_for_status()
        return time.perf_counter() - started

    # 50 per request (~22 MiB bodies) from 1 then 2 clients; then 110 per request (~48 MiB,
    # the reference client's body budget).
    plans = [(1, 50, items[:400]), (2, 50, items[400:800]), (1, 110, items[800:1130])]
    for clients, per_request, part in plans:
        batches = [part[i : i + per_request] for i in range(0, len(part), per_request)]
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            latencies = list(pool.map(post, batches))
        seconds = time.perf_counter() - started
        rows.append(
            f"| HTTP uploads, {per_request} per request, {clients} client(s) "
            f"| {len(part) / seconds:.0f} metrics/s, "
            f"median request {statistics.median(latencies) * 1000:.0f} ms |"
        )
    times, size = [], 0
    for _ in range(20):
        started = time.perf_counter()
        response = requests.get(f"{base}/encryption/context", timeout=10)
        times.append((time.perf_counter() - started) * 1000)
        size = len(response.content)
    rows.append(
        f"| GET /api/encryption/context | median {statistics.median(times):.1f} ms, {size} bytes |"
    )
    query = {"metric_type": "word_count", "operation": "sum", "bucket": "month"}
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = requests.post(
            f"{base}/encryption/aggregate", json=query, headers=headers, timeout=60
        )
        response.raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    rows.append(
        f"| POST /api/encryption/aggregate, 1,130 metrics by month over HTTP | median "
        f"{statistics.median(times):.0f} ms, {len(response.content) // 1024} KiB |"
    )
    before = worker_pids(master)
    hostile = [{**items[0], "encrypted_value": base64.b64encode(b"\x0a\x01\x08").decode()}]
    answer = requests.post(
        f"{base}/encryption/metrics", json={"metrics": hostile}, headers=headers, timeout=30
    )
    requests.post(
        f"{base}/encryption/aggregate", json=query, headers=headers, timeout=60
    ).raise_for_status()
    survived = worker_pids(master) == before
    rows.append(
        f"| hostile `0a 01 08` ciphertext | HTTP {answer.status_code} "
        f"{answer.json()['code']}, workers survived: {survived} |"
    )
    for pid in worker_pids(master):
        rows.append(f"| worker {pid} peak RSS | {peak_rss_mb(pid):.0f} MB |")
    user.delete()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    client = Client()
    parameters_context(8192)

    print("## Service uploads (validation, storage, rollups), 100 per batch\n")
    for label, stamps in (("dense: 27 a day", spread(2000)), ("sparse: 1 a day", spread(366))):
        user = bench_user(client)
        print(f"- {label}: {store(client, user, stamps):.0f} metrics/s")
        user.delete()

    print("\n## Aggregation server time (median of 5), America/Los_Angeles, year 2024\n")
    print("| stored metrics | query | buckets | ciphertexts read | ms | decrypted |")
    print("|---|---|---|---|---|---|")
    sets = [(f"{n:,}", spread(n)) for n in (int(s) for s in args.sizes.split(","))]
    sets.append(("365 (one a day)", spread(366)[:365]))
    for label, stamps in sets:
        for row in aggregate_rows(client, label, stamps):
            print(row, flush=True)

    if args.skip_http:
        return
    print("\n## HTTP through gunicorn (2 sync workers)\n")
    print("| measure | result |\n|---|---|")
    port = free_port()
    server = gunicorn_start(port)
    try:
        for row in http_rows(client, port, server.pid):
            print(row, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()

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

The server runs with DEBUG on unless BENCH_DEBUG=false (then also set SECRET_KEY,
ALLOWED_HOSTS and SECURE_SSL_REDIRECT=false, as for any production start);
BENCH_LOG_LEVEL=INFO keeps its one-line-per-request log (in the --log file).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PASSWORD = "bench password 4 sync"
TEXT_BYTES = 2048
KEY = AESGCM.generate_key(bit_length=256)


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


# --- server ------------------------------------------------------------------------
def _psql(base_url: str, sql: str) -> None:
    subprocess.run(["psql", base_url + "/postgres", "-qc", sql], check=True)


def database_prepare(base_url: str, name: str) -> str:
    _psql(base_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _psql(base_url, f"CREATE DATABASE {name}")
    url = f"{base_url}/{name}"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    return url


def port_free(port: int) -> int:
    """``port``, or any free one for 0; refuses a port something already listens on."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"port {port} is in use; pick another with --port") from None
        return int(probe.getsockname()[1])


def server_start(database_url: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": os.environ.get("BENCH_DEBUG", "true"),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "THROTTLE_REGISTER_IP": "1000/hour",
        "THROTTLE_LOGIN_IP": "1000/min",
        "THROTTLE_LOGIN_ACCOUNT": "1000/min",
    }
    log = log_path.open("wb")
    command = [GUNICORN, "reflective.wsgi:application", "-c", "gunicorn.conf.py"]
    server = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if requests.get(f"{base}/api/health", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_path}")
        time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer; see {log_path}")


# --- account -------------------------------------------------------------------------
def _public_context_b64() -> str:
    from reflective_client.crypto import CkksKeys

    return base64.b64encode(CkksKeys.generate().public_context).decode()


def account_create(base: str, database_url: str) -> str:
    """Register a user, log in and move it to full_sync; returns an access token."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    registered = requests.post(
        f"{base}/api/auth/register", json={"email": email, "password": PASSWORD}, timeout=30
    )
    registered.raise_for_status()
    token = requests.post(
        f"{base}/api/auth/token", json={"email": email, "password": PASSWORD}, timeout=30
    )
    token.raise_for_status()
    access = str(token.json()["access_token"])
    body = {
        "privacy_tier": "full_sync",
        "consent_timestamp": datetime.now(UTC).isoformat(),
        "he_public_key": _public_context_b64(),
    }
    moved = requests.put(
        f"{base}/api/users/me/privacy",
        json=body,
        headers={"Authorization": f"Bearer {access}"},
        timeout=60,
    )
    if moved.status_code != 200:
        print(f"privacy endpoint answered {moved.status_code}; setting the tier directly")
        command = (
            "from accounts.models import User; "
            f"User.objects.filter(email='{email}').update(privacy_tier='full_sync')"
        )
        env = {**os.environ, "DATABASE_URL": database_url}
        subprocess.run([PYTHON, "manage.py", "shell", "-c", command], cwd=ROOT, env=env, check=True)
    return access


# --- load --------------------------------------------------------------------------
def entry_body(entry_id: str, device: str) -> dict[str, Any]:
    iv = os.urandom(12)
    text = os.urandom(TEXT_BYTES // 2).hex().encode()
    sealed = AESGCM(KEY).encrypt(iv, text, entry_id.encode())
    stamp = datetime.now(UTC).isoformat()
    return {
        "id": entry_id,
        "encrypted_content": base64.b64encode(sealed[:-16]).decode(),
        "content_iv": base64.b64encode(iv).decode(),
        "content_tag": base64.b64encode(sealed[-16:]).decode(),
        "created_at": stamp,
        "updated_at": stamp,
        "device_id": device,
        "base_revision": 0,
    }


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
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
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
        server.terminate()
        server.wait(timeout=30)
    print(HEADER)
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()

"""A real server for end-to-end tests: gunicorn with 2 workers on the test database.

The test runs with ``transaction=True`` so that what it writes is committed and visible to
the gunicorn workers, which connect to the very database pytest-django created.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection

from conftest import skip_outside_ci

PROJECT_DIR = Path(settings.BASE_DIR)
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class RunningServer:
    url: str
    log_path: Path
    database_url: str
    pid: int  # the gunicorn master

    def log_bytes(self) -> bytes:
        return self.log_path.read_bytes()

    def worker_pids(self) -> list[int]:
        """The master's live children: the workers serving requests right now."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        return [int(pid) for pid in children.split()]


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's ``test_<name>``)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if requests.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or the first request is still importing the app
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become healthy:\n{log_path.read_text()[-4000:]}")


@contextmanager
def running_gunicorn(
    database: str, directory: Path, *, workers: int = 2, env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """gunicorn on a free port against ``database``; ``env`` overrides settings for it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = directory / "gunicorn.log"
    metrics_dir = directory / "prometheus"
    metrics_dir.mkdir()
    server_env = {
        **os.environ,
        "DATABASE_URL": database,
        "WEB_CONCURRENCY": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "DB_CONN_MAX_AGE": "0",  # no connection outlives a request: teardown can drop the DB
        # The test database has no cache table (pytest's settings use locmem when migrating).
        "CACHE_URL": "locmemcache://",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "reflective.wsgi:application",
        "-c",
        str(PROJECT_DIR / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=server_env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_healthy(url, process, log_path)
        yield RunningServer(url=url, log_path=log_path, database_url=database, pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def gunicorn_server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    if connection.vendor != "postgresql":
        skip_outside_ci("the end-to-end server runs on PostgreSQL")
    with running_gunicorn(database_url(), tmp_path) as server:
        yield server

"""The server started the two ways the README documents, on a free port and throwaway state.

``make run``: the very command, with the Makefile's own steps (migrate, demo data, gunicorn with
the shipped gunicorn.conf.py). The Deployment section: its commands, read from README.md, with
``DEBUG=false`` and the variables its ``export`` line names.

Both run in their own process group, which the test ends (gunicorn's master, its workers and
``make`` alike) before it removes their temporary directory.
"""

import os
import re
import secrets
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests
from django.conf import settings
from django.db import connection
from psycopg import sql

from tests.e2e.conftest import database_url

PROJECT_DIR = Path(settings.BASE_DIR)
README = PROJECT_DIR / "README.md"
VENV_BIN = ".venv/bin/"
STARTUP_SECONDS = 240  # make run migrates and encrypts the demo data before it serves
STOP_SECONDS = 30


@dataclass(frozen=True)
class SmokeServer:
    mode: str  # "make run" or "deployment"
    url: str
    log_path: Path
    client_env: dict[str, str]  # what a user's shell holds when running the README's client
    metrics_headers: dict[str, str]  # what an operator's scraper sends to /metrics

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def readme_blocks() -> list[list[str]]:
    """The README's ``sh`` code blocks, each as its lines, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return [block.replace("\\\n", " ").strip().splitlines() for block in blocks]


def readme_commands(first_word: str) -> list[list[str]]:
    """Every command in the README's ``sh`` blocks that starts with ``first_word``."""
    commands = []
    for block in readme_blocks():
        for line in block:
            for command in line.split("&&"):
                words = shlex.split(command, comments=True)
                if words and words[0] == first_word:
                    commands.append(words)
    return commands


def deployment_block() -> list[str]:
    """The README's Deployment block: an ``export`` line, then the commands to run."""
    section = README.read_text().split("## Deployment", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None, "README's Deployment section has no sh block"
    return block.group(1).replace("\\\n", " ").strip().splitlines()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_environment(state: Path) -> dict[str, str]:
    """A new user's shell, plus where this run keeps its state.

    ``DATABASE_URL`` (documented: ``make run`` uses it when set) keeps the developer's
    ``reflective.sqlite3`` untouched, and ``XDG_CONFIG_HOME`` keeps the demo key files that
    the seed writes, and the client reads, out of the developer's ``~/.config``. Nothing else
    from the test's environment (CI, DATABASE_URL, PROMETHEUS_MULTIPROC_DIR, ...) leaks in.
    """
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(state)),
        "LANG": "C.UTF-8",
        "DATABASE_URL": f"sqlite:///{state / 'reflective.sqlite3'}",
        "XDG_CONFIG_HOME": str(state / "config"),
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the whole process group the server runs in: make, gunicorn's master, workers."""
    for sig, wait in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader exited; give the rest of its group the same signal and moment.
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if requests.get(f"{url}/api/health/ready", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet
        time.sleep(0.5)
    raise RuntimeError(f"the server did not become ready:\n{log_path.read_text()[-4000:]}")


@contextmanager
def _serving(
    command: list[str], env: dict[str, str], url: str, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(url, process, log_path)
        yield process
    finally:
        _stop(process)


@contextmanager
def make_run_server(state: Path) -> Iterator[SmokeServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = base_environment(state)
    log_path = state / "make-run.log"
    with _serving(["make", "run", f"PORT={port}"], env, url, log_path):
        client_env = {**env, "REFLECTIVE_SERVER_URL": url}
        yield SmokeServer("make run", url, log_path, client_env, metrics_headers={})


@contextmanager
def deployment_database(state: Path) -> Iterator[str]:
    """The deployment's DATABASE_URL: a fresh PostgreSQL database when the tests run on
    PostgreSQL (as the README deploys; dropped at the end), else an SQLite file in ``state``."""
    if connection.vendor != "postgresql":
        yield base_environment(state)["DATABASE_URL"]
        return
    test_database = urlsplit(database_url())
    name = f"reflective_smoke_{secrets.token_hex(4)}"
    maintenance = test_database._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield test_database._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def deployment_environment(state: Path, database: str) -> dict[str, str]:
    """Values for every variable the README's ``export`` line names, and nothing else."""
    export = deployment_block()[0].split()
    assert export[0] == "export", "the Deployment block starts with the variables to export"
    names = [assignment.split("=", 1)[0] for assignment in export[1:]]
    values = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database,
        "METRICS_TOKEN": secrets.token_urlsafe(24),
    }
    assert set(names) <= set(values), f"the README exports variables this test lacks: {names}"
    # The README puts TLS in front; this test stands in for that proxy and talks plain HTTP.
    behind_tls = {"SECURE_SSL_REDIRECT": "false"}
    return {**base_environment(state), **{name: values[name] for name in names}, **behind_tls}


def _setup_and_serve_commands(port: int) -> tuple[list[list[str]], list[str]]:
    """The Deployment block's commands; gunicorn's ``--bind`` moved to a free local port."""
    commands = [
        shlex.split(command)
        for line in deployment_block()[1:]
        for command in line.split("&&")
        if command.strip()
    ]
    *setup, serve = commands
    assert serve[0].endswith("gunicorn"), f"the Deployment block ends with gunicorn: {serve}"
    bind = serve.index("--bind")
    serve[bind + 1] = f"127.0.0.1:{port}"
    return setup, serve


@contextmanager
def deployment_server(state: Path, database: str) -> Iterator[SmokeServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = deployment_environment(state, database)
    log_path = state / "deployment.log"
    setup, serve = _setup_and_serve_commands(port)
    # The demo data is not part of a deployment; the client check needs something to decrypt.
    seed = [f"{VENV_BIN}python", "manage.py", "seed_demo", "--with-data"]
    with log_path.open("ab") as log:
        for command in [*setup, seed]:
            subprocess.run(
                command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, check=True
            )
    with _serving(serve, env, url, log_path):
        client_env = {**base_environment(state), "REFLECTIVE_SERVER_URL": url}
        token = env.get("METRICS_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        yield SmokeServer("deployment", url, log_path, client_env, metrics_headers=headers)

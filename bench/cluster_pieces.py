"""The pieces of a small cluster, each a private instance on free loopback ports.

A PostgreSQL primary and a streaming replica (pg_basebackup -R, synchronous), Redis,
pgbouncer, gunicorn app nodes and haproxy, all under one temporary directory with the
configs from deploy/cluster/. Nothing here touches the machine's own services. Every
process is started in its own session and stopped by its id; ``Cluster.close`` stops all
of them and removes the directory.
"""

import contextlib
import functools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import psycopg
import requests
from common import GUNICORN, PYTHON, ROOT

DEPLOY = ROOT / "deploy" / "cluster"
DATABASE = "reflective"
PG_USER = "postgres"
STANDBY_NAME = "replica1"
COMMAND_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path:
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "pg_ctl").exists()]
    if not found:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql")
    return max(found, key=lambda p: int(re.sub(r"\D", "", p.parent.name) or 0))


def as_postgres(command: list[str]) -> list[str]:
    """initdb, postgres and pgbouncer refuse to run as root: run them as ``postgres``."""
    return ["runuser", "-u", PG_USER, "--", *command] if os.geteuid() == 0 else command


def wait_until(what: str, ready: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise SystemExit(f"{what} was not ready after {seconds:.0f} s")


@dataclass
class Postgres:
    """One PostgreSQL server; the replica is started from a base backup of the primary."""

    root: Path
    name: str
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / self.name

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def run(self, program: str, *args: str) -> None:
        command = as_postgres([str(postgres_bin() / program), *args])
        with (self.root / f"{self.name}-{program}.out").open("ab") as out:
            subprocess.run(
                command, check=True, stdout=out, stderr=subprocess.STDOUT, timeout=COMMAND_SECONDS
            )

    def start(self, *settings: str) -> None:
        options = [
            f"-p {self.port}",
            f"-k {self.root}",
            "-c listen_addresses=127.0.0.1",
            f"-c cluster_name={self.name}",
            "-c shared_preload_libraries=pg_stat_statements",
            "-c hot_standby_feedback=on",
            "-c wal_keep_size=256MB",
            *(f"-c {setting}" for setting in settings),
        ]
        log = str(self.root / f"{self.name}.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-o", " ".join(options), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def sql(self, statement: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement in autocommit; ``%%`` for a literal percent sign."""
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement.encode(), params)
            return cursor.fetchall() if cursor.description else []


def primary_create(root: Path) -> Postgres:
    primary = Postgres(root, "primary")
    primary.run("initdb", "-D", str(primary.data), "-U", PG_USER, "-A", "trust", "-E", "UTF8")
    primary.start()
    with psycopg.connect(primary.url("postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {DATABASE}".encode())
    primary.sql("CREATE EXTENSION pg_stat_statements")
    return primary


def synchronous_replication(primary: Postgres, *, on: bool) -> None:
    """A commit returns once the standby has flushed it (``on``) or at once (off).

    Set after the base backup (ALTER SYSTEM writes postgresql.auto.conf, which the backup
    copies): a promoted replica must not wait for a standby it does not have.
    """
    names = f"ANY 1 ({STANDBY_NAME})" if on else ""
    primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = '{names}'")
    primary.sql("ALTER SYSTEM SET synchronous_commit = 'on'")
    primary.sql("SELECT pg_reload_conf()")


def replica_create(root: Path, primary: Postgres) -> Postgres:
    replica = Postgres(root, STANDBY_NAME)
    replica.run(
        "pg_basebackup",
        *("-h", "127.0.0.1", "-p", str(primary.port), "-U", PG_USER),
        *("-D", str(replica.data), "-R", "-X", "stream", "-C", "-S", STANDBY_NAME, "-c", "fast"),
    )
    replica.start()
    return replica


def replica_caught_up(primary: Postgres, replica: Postgres) -> bool:
    (target,) = primary.sql("SELECT pg_current_wal_lsn()")[0]
    return bool(replica.sql("SELECT pg_last_wal_replay_lsn() >= %s", (target,))[0][0])


@dataclass
class Service:
    """A long-running process started in its own session, stopped by its id."""

    name: str
    process: subprocess.Popen[bytes]

    def kill(self, signum: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signum)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def spawn(root: Path, name: str, command: list[str], env: dict[str, str] | None = None) -> Service:
    log = (root / f"{name}.log").open("ab")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Service(name, process)


def render(template: str, target: Path, **values: object) -> Path:
    text = Template((DEPLOY / template).read_text()).substitute(
        {key: str(value) for key, value in values.items()}
    )
    target.write_text(text)
    return target


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def redis_start(root: Path) -> tuple[Service, str]:
    port = free_port()
    config = str(DEPLOY / "redis.conf")
    command = ["redis-server", config, "--port", str(port), "--bind", "127.0.0.1"]
    service = spawn(root, "redis", [*command, "--dir", str(root)])
    url = f"redis://127.0.0.1:{port}/0"

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    wait_until("redis", up, 20)
    return service, url


def pgbouncer_start(root: Path, primary: Postgres, pool_size: int) -> tuple[Service, int]:
    port = free_port()
    (root / "userlist.txt").write_text(f'"{PG_USER}" ""\n')
    config = render(
        "pgbouncer.ini",
        root / "pgbouncer.ini",
        primary_port=primary.port,
        port=port,
        root=root,
        pool_size=pool_size,
    )
    service = spawn(root, "pgbouncer-run", as_postgres(["pgbouncer", str(config)]))
    wait_until("pgbouncer", lambda: _port_open(port), 20)
    return service, port


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def nodes_start(
    cluster: "Cluster", names: list[str], env: dict[str, str], workers: int = 2
) -> list[tuple[Service, int]]:
    """gunicorn app nodes, started together; returns once each answers /api/health/ready."""
    nodes = []
    for name in names:
        port = free_port()
        node_env = {
            **os.environ,
            **env,
            "WEB_CONCURRENCY": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": str(cluster.root / f"{name}-metrics"),
        }
        command = [GUNICORN, "reflective.wsgi:application", "-c", "gunicorn.conf.py"]
        # No control socket: its default path is one per machine user, not per server.
        command += ["--no-control-socket", "--bind", f"127.0.0.1:{port}"]
        service = spawn(cluster.root, name, command, node_env)
        cluster.services.append(service)
        nodes.append((service, port))
    for service, port in nodes:
        url = f"http://127.0.0.1:{port}/api/health/ready"
        wait_until(f"app node {service.name}", functools.partial(_answers, url), 120)
    return nodes


def haproxy_start(root: Path, node_ports: list[int], node_maxconn: int) -> tuple[Service, int]:
    port = free_port()
    servers = "\n".join(
        f"    server node{n + 1} 127.0.0.1:{node_port} check"
        for n, node_port in enumerate(node_ports)
    )
    config = render(
        "haproxy.cfg",
        root / "haproxy.cfg",
        errors=DEPLOY / "errors",
        port=port,
        servers=servers,
        node_maxconn=node_maxconn,
    )
    service = spawn(root, "haproxy", ["haproxy", "-db", "-f", str(config)])
    url = f"http://127.0.0.1:{port}/api/health/ready"
    wait_until("haproxy", lambda: _answers(url), 30)
    return service, port


def migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "CACHE_URL": "locmemcache://"}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=COMMAND_SECONDS * 2,
    )


@dataclass
class Cluster:
    """Everything one run started; ``close`` stops it all and removes the directory."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="reflective-cl-")))
    servers: list[Postgres] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)

    def __post_init__(self) -> None:
        if os.geteuid() == 0:
            account = pwd.getpwnam(PG_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    def close(self, keep: bool = False) -> None:
        for service in reversed(self.services):
            service.stop()
        for server in self.servers:
            if server.running():
                with contextlib.suppress(subprocess.SubprocessError):
                    server.stop("immediate")
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)

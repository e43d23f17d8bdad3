"""A private PostgreSQL instance in a temporary directory, to stop and start at will.

The machine's shared cluster serves other test runs (and pytest itself), so the restart
test never touches it: it runs initdb into a directory of its own, on a free port, with
trust authentication for 127.0.0.1 only. initdb and postgres refuse to run as root, so
under root they run as the ``postgres`` user, who is given the directory.
"""

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.e2e.conftest import PROJECT_DIR, free_port

SERVER_USER = "postgres"
COMMAND_SECONDS = 120


def postgres_bin_dir() -> Path | None:
    """The newest directory holding initdb and pg_ctl (Debian's layout, then the PATH)."""
    found = [path for path in Path("/usr/lib/postgresql").glob("*/bin") if _has_server(path)]
    if found:
        return max(found, key=lambda path: int(re.sub(r"\D", "", path.parent.name) or 0))
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and _has_server(Path(initdb).parent) else None


def _has_server(directory: Path) -> bool:
    return (directory / "initdb").exists() and (directory / "pg_ctl").exists()


def unusable_reason() -> str | None:
    """Why no private instance can run here, or None when one can."""
    if postgres_bin_dir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL"
    return None


@dataclass(frozen=True)
class PrivatePostgres:
    bin_dir: Path
    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        with (self.root / f"{program}.out").open("ab") as out:
            subprocess.run(
                command, check=True, stdout=out, stderr=subprocess.STDOUT, timeout=COMMAND_SECONDS
            )

    def initialize(self) -> None:
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", SERVER_USER, "-A", "trust", "-E", "UTF8", "-N"
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        log = str(self.root / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: open transactions are rolled back and every client is cut off."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def create_migrated_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = self.url(name)
        env = {**os.environ, "DATABASE_URL": url, "CACHE_URL": "locmemcache://"}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
            timeout=COMMAND_SECONDS * 2,
        )
        return url


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None, unusable_reason()
    root = Path(tempfile.mkdtemp(prefix="reflective-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(root, account.pw_uid, account.pw_gid)
    instance = PrivatePostgres(bin_dir=bin_dir, root=root, port=free_port())
    try:
        instance.initialize()
        instance.start()
        yield instance
    finally:
        if (instance.data_dir / "postmaster.pid").exists():
            instance._run("pg_ctl", "-D", str(instance.data_dir), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)

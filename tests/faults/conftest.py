"""Servers for the fault tests: one gunicorn worker, so the test knows which process to kill,
and a private PostgreSQL instance for the test that restarts the database."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from conftest import skip_outside_ci
from tests.e2e.conftest import RunningServer, database_url, running_gunicorn
from tests.faults.private_postgres import PrivatePostgres, private_postgres, unusable_reason


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        skip_outside_ci("fault tests run the server on PostgreSQL")


@pytest.fixture
def one_worker_server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    _require_postgresql()
    with running_gunicorn(database_url(), tmp_path, workers=1) as server:
        yield server


@pytest.fixture(scope="module")
def private_database() -> Iterator[tuple[PrivatePostgres, str]]:
    """A migrated database on a private PostgreSQL instance the test may stop and start."""
    reason = unusable_reason()
    if reason is not None:
        skip_outside_ci(reason)
    with private_postgres() as instance:
        yield instance, instance.create_migrated_database("reflective")


STATEMENT_TIMEOUT_MS = 1000
BODY_LIMIT_BYTES = 64 * 1024


@pytest.fixture
def impatient_server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    """One worker with a 1 s statement timeout, a 64 KiB body limit and kept connections."""
    _require_postgresql()
    env = {
        "DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
        "REQUEST_BODY_MAX_BYTES": str(BODY_LIMIT_BYTES),
        "DB_CONN_MAX_AGE": "60",
    }
    with running_gunicorn(database_url(), tmp_path, workers=1, env=env) as server:
        yield server

"""Servers for the fault tests: one gunicorn worker, so the test knows which process to kill."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.e2e.conftest import RunningServer, database_url, running_gunicorn


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("fault tests run the server on PostgreSQL")


@pytest.fixture
def one_worker_server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    _require_postgresql()
    with running_gunicorn(database_url(), tmp_path, workers=1) as server:
        yield server

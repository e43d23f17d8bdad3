"""The load benchmark runs end to end: a few seconds of mixed traffic, every check passing."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.e2e.conftest import database_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

SCRIPT = settings.BASE_DIR / "bench" / "load.py"


def test_short_load_run_loses_nothing_and_converges(tmp_path):
    command = [sys.executable, str(SCRIPT), "--seconds", "3", "--users", "2", "--devices", "3"]
    command += ["--database-url", database_url(), "--log", str(tmp_path / "gunicorn.log")]
    environment = {
        **os.environ,
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DB_CONN_MAX_AGE": "0",  # so that teardown can flush the database
        "CACHE_URL": "locmemcache://",  # the test database has no cache table
    }

    finished = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=120, check=False
    )

    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert "PASSED: 0 failures" in finished.stdout
    assert "3 devices pulled to the end" in finished.stdout

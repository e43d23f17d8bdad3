"""A request stuck in the database past the statement timeout is cut off cleanly.

The server under test has a 1 s ``statement_timeout``. The test holds the row lock a push
needs, so the push waits in PostgreSQL until the timeout cancels its statement.
"""

import time

import pytest
import requests
from django.db import connection

from reflective.errors import Messages
from tests.faults import stored
from tests.faults.conftest import STATEMENT_TIMEOUT_MS
from tests.faults.sessions import client_backends, row_locked
from tests.faults.writers import device_of, sealed_item

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

EMAIL = "alice@example.com"


def _own_backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_a_statement_past_the_timeout_answers_503_json_and_the_worker_goes_on(
    impatient_server, alice
):
    server = impatient_server
    writer = device_of(alice, server.url)
    assert writer.journal.write("kept", "Written before the lock.").status == "stored"
    edit = sealed_item(writer.keys, "kept", "Edited while the entry is locked.", 1)
    workers = server.worker_pids()
    backends = client_backends(server.database_url, other_than=_own_backend())

    with row_locked(server.database_url, stored.LOCK_ENTRY, (EMAIL, "kept")):
        started = time.monotonic()
        cut_off = requests.post(
            f"{server.url}/api/sync/backup",
            json=edit,
            headers={"Authorization": f"Bearer {writer.api.access_token}"},
            timeout=30,
        )
        waited = time.monotonic() - started

    assert cut_off.status_code == 503
    assert cut_off.headers["Content-Type"] == "application/json"
    assert cut_off.headers["Retry-After"] == "5"
    assert cut_off.json() == {"code": "database_timeout", "detail": Messages.DATABASE_TIMEOUT}
    assert STATEMENT_TIMEOUT_MS / 1000 <= waited < 10
    assert stored.entries(EMAIL) == {"kept": (1, 1)}
    assert stored.last_seq(EMAIL) == 1

    # The same worker, on the same database connection, takes the very next request.
    assert writer.api.call("POST", "/api/sync/backup", json=edit)["revision"] == 2
    assert server.worker_pids() == workers
    assert client_backends(server.database_url, other_than=_own_backend()) == backends
    assert stored.entries(EMAIL) == {"kept": (2, 2)}

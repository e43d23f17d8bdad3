"""A gunicorn worker SIGKILLed while it pushes a batch: all of the batch or none of it.

The test holds a row lock the batch needs last (the update of an entry it edits), so the
request stops inside its transaction after it has already taken a feed position, archived
the old version and inserted the new entries. Then the worker dies.
"""

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import RunningServer
from tests.faults import stored
from tests.faults.sessions import backend_gone, backend_waiting_on_lock, row_locked
from tests.faults.writers import full_sync_writer, sealed_item

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

EMAIL = "fault-writer@example.com"
NEW_IDS = [f"new-{number}" for number in range(5)]
TEXTS = {"kept": "Edited in the batch.", **{i: f"Written in the batch as {i}." for i in NEW_IDS}}
STORED_ONCE = [("kept", "stored", 2), *((i, "stored", 1) for i in NEW_IDS)]


def _written_before_the_fault(server: RunningServer):
    writer = full_sync_writer(server.url, EMAIL)
    assert writer.journal.write("kept", "Written before the fault.").status == "stored"
    return writer


def _sealed_batch(writer) -> dict[str, object]:
    base = {"kept": 1}
    return {
        "items": [sealed_item(writer.keys, i, text, base.get(i, 0)) for i, text in TEXTS.items()]
    }


def _post_without_retry(server: RunningServer, token: str, body: dict[str, object]) -> None:
    requests.post(
        f"{server.url}/api/sync/batch",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_a_batch_cut_off_by_a_killed_worker_leaves_nothing(one_worker_server):
    server = one_worker_server
    writer = _written_before_the_fault(server)
    before = stored.entries(EMAIL)
    batch = _sealed_batch(writer)

    with (
        ThreadPoolExecutor(1) as pool,
        row_locked(server.database_url, stored.LOCK_ENTRY, (EMAIL, "kept")),
    ):
        attempt = pool.submit(_post_without_retry, server, writer.api.access_token, batch)
        backend = backend_waiting_on_lock(server.database_url, stored.UPDATE_ENTRY)
        stored.kill_the_worker(server)
        with pytest.raises(requests.ConnectionError):
            attempt.result(timeout=30)
    backend_gone(server.database_url, backend)

    assert stored.entries(EMAIL) == before
    assert stored.last_seq(EMAIL) == 1
    assert stored.archived_versions(EMAIL) == 0

    retried = writer.api.call("POST", "/api/sync/batch", json=batch, idempotent=True)["results"]
    assert [(r["id"], r["status"], r["revision"]) for r in retried] == STORED_ONCE
    after = stored.entries(EMAIL)
    assert sorted(seq for _, seq in after.values()) == [2, 3, 4, 5, 6, 7]
    assert stored.last_seq(EMAIL) == 7

    again = writer.api.call("POST", "/api/sync/batch", json=batch, idempotent=True)["results"]
    assert {r["status"] for r in again} == {"unchanged"}
    assert {r["id"]: (r["revision"], r["seq"]) for r in again} == after
    assert stored.last_seq(EMAIL) == 7
    stored.assert_another_device_converges(writer, TEXTS)


def test_the_clients_own_retry_survives_a_worker_killed_mid_batch(one_worker_server):
    server = one_worker_server
    writer = _written_before_the_fault(server)

    with ThreadPoolExecutor(1) as pool:
        with row_locked(server.database_url, stored.LOCK_ENTRY, (EMAIL, "kept")):
            pushing = pool.submit(writer.journal.write_many, TEXTS)
            backend = backend_waiting_on_lock(server.database_url, stored.UPDATE_ENTRY)
            killed = stored.kill_the_worker(server)
            # The client reconnects and sends the same sealed batch while the dead
            # request's transaction is still open: the retry queues behind it.
            backend_waiting_on_lock(server.database_url, other_than=backend)
        results = pushing.result(timeout=60)

    assert [(r.id, r.status, r.revision) for r in results] == STORED_ONCE
    assert sorted(seq for _, seq in stored.entries(EMAIL).values()) == [2, 3, 4, 5, 6, 7]
    assert stored.last_seq(EMAIL) == 7
    assert stored.archived_versions(EMAIL) == 1
    assert killed not in server.worker_pids()
    stored.assert_another_device_converges(writer, TEXTS)


def test_a_batch_committed_before_its_worker_died_is_unchanged_on_retry(one_worker_server):
    server = one_worker_server
    writer = _written_before_the_fault(server)
    batch = _sealed_batch(writer)
    address = urlsplit(server.url)
    lost = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    headers = {
        "Authorization": f"Bearer {writer.api.access_token}",
        "Content-Type": "application/json",
    }

    lost.request("POST", "/api/sync/batch", body=json.dumps(batch), headers=headers)
    stored.eventually(lambda: stored.last_seq(EMAIL) == 7)  # committed; never read the answer
    stored.kill_the_worker(server)
    lost.close()
    committed = stored.entries(EMAIL)

    retried = writer.api.call("POST", "/api/sync/batch", json=batch, idempotent=True)["results"]

    assert {r["status"] for r in retried} == {"unchanged"}
    assert {r["id"]: (r["revision"], r["seq"]) for r in retried} == committed
    assert committed["kept"][0] == 2
    assert stored.entries(EMAIL) == committed
    assert stored.last_seq(EMAIL) == 7
    stored.assert_another_device_converges(writer, TEXTS)

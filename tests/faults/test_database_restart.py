"""PostgreSQL stopped under traffic: clean 503 JSON while it is down, recovery without a restart.

The database is a private instance (``private_database``), never the shared cluster. The
test runs with persistent connections (the production default) and without, because a
persistent connection is the one that goes stale across a database restart.
"""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from reflective.errors import Messages
from tests.e2e.conftest import running_gunicorn
from tests.faults.stored import eventually
from tests.faults.writers import full_sync_writer, other_device, sealed_item

pytestmark = [pytest.mark.slow]

SYNC_DOWN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/users/me", None),
    ("GET", "/api/sync/backups", None),
    ("GET", "/api/sync/state", None),
    ("POST", "/api/sync/batch", {"items": []}),
    ("POST", "/api/auth/token", {"email": "nobody@example.com", "password": "not it at all"}),
]


@dataclass
class Answer:
    item: dict[str, Any]
    status: int
    content_type: str
    body: dict[str, Any]


@dataclass
class PushTraffic:
    """One device pushing new entries in a loop, each once, without retrying."""

    url: str
    writer: Any
    answers: list[Answer] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.writer.api.access_token}"}
        while not self.stopping.is_set():
            number = len(self.answers)
            item = sealed_item(self.writer.keys, f"live-{number}", f"Traffic {number}.", 0)
            response = requests.post(
                f"{self.url}/api/sync/backup", json=item, headers=headers, timeout=30
            )
            content_type = response.headers["Content-Type"]
            self.answers.append(Answer(item, response.status_code, content_type, response.json()))
            time.sleep(0.02)

    def count(self, status: int) -> int:
        return sum(answer.status == status for answer in self.answers)


def assert_database_unavailable(status: int, content_type: str, body: dict[str, Any]) -> None:
    assert status == 503
    assert content_type == "application/json"
    assert body == {"code": "database_unavailable", "detail": Messages.DATABASE_UNAVAILABLE}


@pytest.mark.parametrize("conn_max_age", ["60", "0"])
def test_a_database_restart_answers_503_json_and_the_server_recovers_alone(
    private_database, tmp_path, conn_max_age
):
    postgres, database = private_database
    env = {"DB_CONN_MAX_AGE": conn_max_age}
    with running_gunicorn(database, tmp_path, workers=1, env=env) as server:
        writer = full_sync_writer(server.url, f"restart-{conn_max_age}@example.com")
        headers = {"Authorization": f"Bearer {writer.api.access_token}"}
        workers = server.worker_pids()
        traffic = PushTraffic(server.url, writer)
        pusher = threading.Thread(target=traffic.run)
        pusher.start()
        try:
            eventually(lambda: traffic.count(201) >= 3)
            postgres.stop()
            try:
                for method, path, body in SYNC_DOWN_ROUTES:
                    down = requests.request(
                        method, server.url + path, json=body, headers=headers, timeout=30
                    )
                    assert_database_unavailable(
                        down.status_code, down.headers["Content-Type"], down.json()
                    )
                    assert down.headers["Retry-After"] == "5"
                ready = requests.get(f"{server.url}/api/health/ready", timeout=30)
                assert (ready.status_code, ready.json()["checks"]["database"]) == (503, False)
                assert requests.get(f"{server.url}/api/health", timeout=30).status_code == 200
                eventually(lambda: traffic.count(503) >= 3)
            finally:
                postgres.start()
            stored_before = traffic.count(201)
            eventually(lambda: traffic.count(201) >= stored_before + 3)
        finally:
            traffic.stopping.set()
            pusher.join(timeout=60)

        for answer in traffic.answers:
            if answer.status != 201:
                assert_database_unavailable(answer.status, answer.content_type, answer.body)
        # The server was not restarted: the same worker serves, and the retries succeed.
        assert server.worker_pids() == workers
        assert requests.get(f"{server.url}/api/health/ready", timeout=30).status_code == 200
        for answer in traffic.answers:
            if answer.status == 503:
                retried = writer.api.call("POST", "/api/sync/backup", json=answer.item)
                assert retried["status"] in ("stored", "unchanged")
        device = other_device(writer)
        device.journal.pull()
        assert set(device.journal.entries) == {answer.item["id"] for answer in traffic.answers}
        assert device.journal.server_state()["digest"] == device.journal.digest()

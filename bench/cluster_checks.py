"""What the cluster drill proves besides the load: a shared throttle, read-your-writes, and a
device that retries the one retryable error (and a read whose answer a dying node cut off).
"""

import threading
import time
import uuid
from typing import Any

import requests
from cluster_pieces import Postgres, replica_caught_up, wait_until
from common import PASSWORD, account_create, entry_body
from load_device import ACTION_WEIGHTS, Device, _code

# The drill's devices wait at most this long on a Retry-After, to time the outage closely.
RETRY_WAIT_CAP_SECONDS = 1.0
RETRY_ATTEMPTS = 60
LOGIN_ACCOUNT_LIMIT = 5  # THROTTLE_LOGIN_ACCOUNT on the drill's nodes, per minute
# A retried metric upload whose first answer was lost would be counted twice (uploads are
# not idempotent), so the drill's devices only sync entries once the faults start.
DRILL_WEIGHTS = {action: w for action, w in ACTION_WEIGHTS.items() if action != "metrics_upload"}
ENTRY_READS = (
    "SELECT coalesce(sum(calls), 0)::int FROM pg_stat_statements "
    "WHERE query ILIKE 'SELECT%%journal_sync_encryptedentry%%'"
)


class DrillDevice(Device):
    """A device that honours ``503`` + ``Retry-After`` by retrying, as clients must."""

    def __init__(self, *args: Any, ack_times: list[float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ack_times = ack_times
        self.retried: dict[str, int] = {}

    def call(
        self, label: str, method: str, path: str, allowed: frozenset[str] = frozenset(), **kw: Any
    ) -> requests.Response | None:
        for _ in range(RETRY_ATTEMPTS):
            started = time.perf_counter()
            try:
                response = self.http.request(method, self.base + path, timeout=120, **kw)
            except requests.RequestException as error:
                if method == "GET" and isinstance(error, requests.exceptions.ChunkedEncodingError):
                    # The node died while sending its answer: haproxy had passed the headers
                    # on, so it could not send the request elsewhere. A read is safe to repeat.
                    key = f"{label} answer cut"
                    self.retried[key] = self.retried.get(key, 0) + 1
                    continue
                kind = f"{label}: {type(error).__name__}: {str(error)[:160]}"
                self.recorder.transport_errors[kind] += 1
                return None
            wait = response.headers.get("Retry-After")
            if response.status_code == 503 and wait is not None:
                key = f"{label} 503 {_code(response)}"
                self.retried[key] = self.retried.get(key, 0) + 1
                time.sleep(min(float(wait), RETRY_WAIT_CAP_SECONDS))
                continue
            elapsed = (time.perf_counter() - started) * 1e3
            self.recorder.answered(label, response.status_code, elapsed)
            if response.status_code >= 300 and _code(response) not in allowed:
                self.recorder.unexpected.append(f"{label} {response.status_code} {_code(response)}")
            return response
        self.recorder.unexpected.append(f"{label}: still 503 after {RETRY_ATTEMPTS} attempts")
        return None

    def _acked(self, entry_id: str, revision: int, sha256: str | None, via: str) -> None:
        super()._acked(entry_id, revision, sha256, via)
        self.ack_times.append(time.monotonic())

    def _loop(self, stop: threading.Event) -> None:
        actions, weights = list(DRILL_WEIGHTS), list(DRILL_WEIGHTS.values())
        while not stop.is_set():
            edit = self.account.stale_take(self.name)
            if edit is not None:
                self.stale_conflict(edit)
                continue
            getattr(self, self.rng.choices(actions, weights)[0])()


def throttle_shared(node_urls: list[str], base: str) -> list[str]:
    """Wrong passwords for one account, alternating nodes: the limit counts them all."""
    email = f"throttle-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": PASSWORD}
    requests.post(f"{base}/api/auth/register", json=body, timeout=30).raise_for_status()
    statuses = []
    for attempt in range(LOGIN_ACCOUNT_LIMIT + 1):
        url = node_urls[attempt % len(node_urls)]
        body = {"email": email, "password": PASSWORD + "-wrong"}
        statuses.append(requests.post(f"{url}/api/auth/token", json=body, timeout=30).status_code)
    print(f"login throttle across nodes: statuses {statuses}")
    if 429 in statuses[:-1] or statuses[-1] != 429:
        return [f"login throttle not shared across nodes: {statuses}"]
    return []


def _entry_reads(primary: Postgres, replica: Postgres) -> tuple[int, int]:
    return int(primary.sql(ENTRY_READS)[0][0]), int(replica.sql(ENTRY_READS)[0][0])


def _reset_counts(primary: Postgres, replica: Postgres) -> None:
    for server in (primary, replica):
        server.sql("SELECT pg_stat_statements_reset()")


def _pulled_ids(base: str, token: str, device: str) -> set[str]:
    response = requests.get(
        f"{base}/api/sync/backups",
        params={"device_id": device, "limit": "500"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return {item["id"] for item in response.json()["backups"]}


def read_your_writes(
    node_urls: list[str], base: str, primary: Postgres, replica: Postgres
) -> list[str]:
    """With replay paused, a device that just pushed still pulls its entry (from the primary)
    while another user's pull is served by the replica: entry queries counted per server."""
    writer = account_create(base, primary.url(), label="ryw-writer")
    reader = account_create(base, primary.url(), label="ryw-reader")
    failures: list[str] = []
    wait_until("replica replay", lambda: replica_caught_up(primary, replica), 30)
    replica.sql("SELECT pg_wal_replay_pause()")
    try:
        entry_id = f"ryw-{uuid.uuid4().hex[:8]}"
        pushed = requests.post(
            f"{node_urls[0]}/api/sync/backup",
            json=entry_body(entry_id, "ryw-laptop"),
            headers={"Authorization": f"Bearer {writer}"},
            timeout=30,
        )
        if pushed.status_code != 201:
            failures.append(f"push with replay paused answered {pushed.status_code}")
        _reset_counts(primary, replica)
        seen = _pulled_ids(node_urls[-1], writer, "ryw-phone")
        writer_reads = _entry_reads(primary, replica)
        _reset_counts(primary, replica)
        _pulled_ids(node_urls[-1], reader, "ryw-other")
        reader_reads = _entry_reads(primary, replica)
        print(
            "replay paused: the writer's pull read entries on primary/replica "
            f"{writer_reads[0]}/{writer_reads[1]} times and found its entry: {entry_id in seen}; "
            f"another user's pull: {reader_reads[0]}/{reader_reads[1]}"
        )
        if entry_id not in seen:
            failures.append("a device did not see the entry it had just pushed")
        if writer_reads[0] == 0 or writer_reads[1] != 0:
            failures.append(f"the writer's pull was not served by the primary: {writer_reads}")
        if reader_reads[1] == 0 or reader_reads[0] != 0:
            failures.append(f"another user's pull was not served by the replica: {reader_reads}")
    finally:
        replica.sql("SELECT pg_wal_replay_resume()")
    return failures

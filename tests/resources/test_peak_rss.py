"""A worker's memory stays under a constant while one user does the worst it can.

Real gunicorn (2 workers) on PostgreSQL. The figure is the workers' peak resident set
(``VmHWM`` in ``/proc/<pid>/status``), which only ever grows, so it covers every request a
worker served. Quotas are raised for these tests, so what holds memory down is the
request's own bounds (references instead of copies, pages bounded by bytes, a streamed
export), not a quota that stopped the data from being stored.
"""

import base64
import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection

from accounts.models import User
from accounts.tokens import session_start
from conftest import skip_outside_ci
from tests.e2e.conftest import RunningServer, database_url, running_gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

MIB = 1024 * 1024
# What a worker may reach, startup (Django, TenSEAL) included. One idle worker is about
# 100 MiB; a 16 MiB page of ciphertext costs a few times that as bytes, base64 and JSON,
# freed before the next request.
PEAK_RSS_BOUND_MIB = 300
DEVICES = 500
RAISED_QUOTAS = {
    "QUOTA_DEVICES": str(DEVICES + 10),
    "QUOTA_OPEN_CONFLICTS_PER_ENTRY": str(DEVICES + 10),
    "QUOTA_STORAGE_BYTES": str(4 * 1024 * MIB),
}


def _peak_rss_mib(server: RunningServer) -> float:
    peaks = []
    for pid in server.worker_pids():
        status = Path(f"/proc/{pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


@pytest.fixture
def raised_quota_server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    if connection.vendor != "postgresql":
        skip_outside_ci("the peak-RSS tests run the server on PostgreSQL")
    with running_gunicorn(database_url(), tmp_path, env=RAISED_QUOTAS) as server:
        yield server


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _token(user: User) -> str:
    return str(session_start(user=user)["access_token"])


def _b64(size: int) -> str:
    return base64.b64encode(os.urandom(size)).decode()


def _push(session: requests.Session, url: str, body: dict[str, Any]) -> int:
    return session.post(f"{url}/api/sync/backup", json=body, timeout=60).status_code


def test_conflicts_over_a_large_entry_from_500_devices_stay_bounded(
    raised_quota_server: RunningServer, alice: User
) -> None:
    server = raised_quota_server
    token = _token(alice)
    url, session = server.url, _session(token)
    large = {
        "id": "large",
        "encrypted_content": _b64(MIB),
        "content_iv": _b64(12),
        "encrypted_embedding": _b64(MIB),
        "embedding_iv": _b64(12),
        "device_id": "writer",
    }
    assert _push(session, url, large) == 201
    tiny = {"id": "large", "content_iv": _b64(12), "base_revision": 0}

    def conflict(number: int) -> int:
        body = tiny | {"encrypted_content": _b64(16), "device_id": f"device-{number}"}
        return _push(_session(token), url, body)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(conflict, range(DEVICES))) == {409}

    before = _peak_rss_mib(server)
    page = session.get(f"{url}/api/sync/conflicts", params={"limit": 500}, timeout=300)
    print(f"first conflict page: peak worker RSS {before:.0f} -> {_peak_rss_mib(server):.0f} MiB")
    assert _peak_rss_mib(server) < PEAK_RSS_BOUND_MIB
    assert page.status_code == 200
    body = page.json()
    assert body["total_count"] == DEVICES
    assert body["has_more"]
    assert body["conflicts"][0]["remote_version"]["encrypted_content"] == large["encrypted_content"]
    # More pages: what one page held must be freed before the next one.
    for _ in range(8):
        body = session.get(
            f"{url}/api/sync/conflicts",
            params={"limit": 500, "cursor": body["next_cursor"]},
            timeout=120,
        ).json()
    peak = _peak_rss_mib(server)
    print(f"conflict list: peak worker RSS {before:.0f} MiB before, {peak:.0f} MiB after")
    assert peak < PEAK_RSS_BOUND_MIB


EXPORT_ENTRIES = 250  # of 1 MiB content + 1 MiB embedding each: 500 MiB of ciphertext


def _insert_large_entries(user: User) -> None:
    """500 MiB of ciphertext written by PostgreSQL itself, in seconds instead of minutes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH blob AS (SELECT decode(repeat(md5(%s), %s), 'hex') AS bytes) "
            "INSERT INTO journal_sync_encryptedentry (user_id, client_id, revision, seq, "
            "encrypted_content, content_iv, encrypted_embedding, embedding_iv, content_sha256, "
            "size_bytes, deleted, device_id, fingerprint, stored_at) "
            "SELECT %s, 'entry-' || n, 1, n, blob.bytes, '\\x000102030405060708090a0b'::bytea, "
            "blob.bytes, '\\x000102030405060708090a0b'::bytea, '', %s, false, 'seed', '', now() "
            "FROM generate_series(1, %s) AS n, blob",
            [secrets.token_hex(8), MIB // 16, user.pk, 2 * MIB + 24, EXPORT_ENTRIES],
        )
        cursor.execute(
            "INSERT INTO journal_sync_syncstate (user_id, last_seq, pruned_seq) VALUES (%s, %s, 0)",
            [user.pk, EXPORT_ENTRIES],
        )


def test_exporting_a_500_mib_account_streams_in_bounded_memory(
    raised_quota_server: RunningServer, alice: User
) -> None:
    server = raised_quota_server
    _insert_large_entries(alice)
    before = _peak_rss_mib(server)
    received = 0
    with _session(_token(alice)).get(
        f"{server.url}/api/users/me/export", stream=True, timeout=300
    ) as r:
        assert r.status_code == 200
        for chunk in r.iter_content(chunk_size=MIB):
            received += len(chunk)
    peak = _peak_rss_mib(server)
    print(f"export of {received / MIB:.0f} MiB: peak worker RSS {before:.0f} -> {peak:.0f} MiB")
    assert received > 500 * MIB * 4 / 3
    assert peak < PEAK_RSS_BOUND_MIB

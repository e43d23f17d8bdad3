"""What the database holds for one account, read by the test (not through the server)."""

import os
import signal
import time
from collections.abc import Callable

from changefeed.models import SyncState
from journal_sync.models import EncryptedEntry, EntryRevision
from reflective_client import ReflectiveClient
from tests.e2e.conftest import RunningServer
from tests.faults.writers import other_device

ENTRY_TABLE = EncryptedEntry._meta.db_table
LOCK_ENTRY = (
    f"SELECT e.id FROM {ENTRY_TABLE} e JOIN accounts_user u ON u.id = e.user_id "
    "WHERE u.email = %s AND e.client_id = %s FOR UPDATE OF e"
)
UPDATE_ENTRY = f'UPDATE "{ENTRY_TABLE}"'


def entries(email: str) -> dict[str, tuple[int, int]]:
    """Every entry of the account as ``{id: (revision, seq)}``."""
    rows = EncryptedEntry.objects.filter(user__email=email)
    return {cid: (rev, seq) for cid, rev, seq in rows.values_list("client_id", "revision", "seq")}


def last_seq(email: str) -> int:
    return int(SyncState.objects.values_list("last_seq", flat=True).get(user__email=email))


def archived_versions(email: str) -> int:
    return EntryRevision.objects.filter(user__email=email).count()


def eventually(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def kill_the_worker(server: RunningServer) -> int:
    """SIGKILL the only gunicorn worker (the master forks a new one)."""
    (worker,) = server.worker_pids()
    os.kill(worker, signal.SIGKILL)
    return worker


def assert_another_device_converges(writer: ReflectiveClient, texts: dict[str, str]) -> None:
    """A fresh device pulls everything, reads ``texts`` back and matches the server digest."""
    device = other_device(writer)
    device.journal.pull()
    assert {e.id: e.text for e in device.journal.entries.values()} == texts
    assert device.journal.server_state()["digest"] == device.journal.digest()

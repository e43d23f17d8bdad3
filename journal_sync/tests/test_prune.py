"""Retention: old tombstones and surplus history are pruned; old cursors must resync."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from changefeed.models import SyncState
from journal_sync.cursor import cursor_encode
from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from journal_sync.services.retention import sync_prune
from journal_sync.tests.conftest import pull_all, write


def _age(user: User, client_id: str, days: int) -> None:
    EncryptedEntry.objects.filter(user=user, client_id=client_id).update(
        stored_at=timezone.now() - timedelta(days=days)
    )


def _tombstone(client: APIClient, user: User, client_id: str, *, days_old: int) -> None:
    write(user, client_id, "text")
    write(user, client_id, "stale", device="other", base=0)  # a conflict on it
    client.delete(f"/api/sync/backup/{client_id}")
    _age(user, client_id, days_old)


def test_old_tombstones_go_with_their_history_and_conflicts(laptop: APIClient, alice: User) -> None:
    _tombstone(laptop, alice, "old", days_old=91)
    _tombstone(laptop, alice, "recent", days_old=10)
    write(alice, "live", "text")
    _age(alice, "live", 400)
    counts = sync_prune(now=timezone.now())
    assert counts == {"pruned_tombstones": 1, "pruned_revisions": 1, "pruned_conflicts": 1}
    remaining = set(EncryptedEntry.objects.filter(user=alice).values_list("client_id", flat=True))
    assert remaining == {"recent", "live"}


def test_a_dry_run_counts_and_deletes_nothing(laptop: APIClient, alice: User) -> None:
    _tombstone(laptop, alice, "old", days_old=91)
    before = (EncryptedEntry.objects.count(), EntryRevision.objects.count())
    counts = sync_prune(now=timezone.now(), dry_run=True)
    assert counts["pruned_tombstones"] == 1
    assert (EncryptedEntry.objects.count(), EntryRevision.objects.count()) == before
    assert EntryConflict.objects.count() == 1
    assert SyncState.objects.get(user=alice).pruned_seq == 0


def test_a_cursor_older_than_a_pruned_tombstone_must_resync(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    write(alice, "entry-1", "text")
    _, stale_cursor = pull_all(phone)
    laptop.delete("/api/sync/backup/entry-1")
    _, fresh_cursor = pull_all(laptop)
    _age(alice, "entry-1", 100)
    sync_prune(now=timezone.now())
    stale = phone.get("/api/sync/backups", {"cursor": stale_cursor})
    assert stale.status_code == 410
    assert stale.json()["code"] == "resync_required"
    assert laptop.get("/api/sync/backups", {"cursor": fresh_cursor}).status_code == 200
    restart = phone.get("/api/sync/backups")
    assert restart.status_code == 200
    assert restart.json()["backups"] == []


def test_a_cursor_from_the_future_must_resync(laptop: APIClient, alice: User) -> None:
    """A server restored from an older backup has lost writes the device already saw."""
    write(alice, "entry-1", "text")
    response = laptop.get("/api/sync/backups", {"cursor": cursor_encode(50)})
    assert response.status_code == 410


def test_surplus_history_is_pruned_after_the_kept_count_is_lowered(
    alice: User, settings: Any
) -> None:
    for revision in range(6):
        write(alice, "entry-1", f"v{revision + 1}", base=revision)
    assert EntryRevision.objects.count() == 5
    settings.SYNC_REVISIONS_KEPT = 2
    assert sync_prune(now=timezone.now(), dry_run=True)["pruned_revisions"] == 4
    assert sync_prune(now=timezone.now())["pruned_revisions"] == 4
    assert list(EntryRevision.objects.values_list("revision", flat=True)) == [5]


def test_a_cursor_at_the_start_of_the_feed_never_needs_a_resync(
    laptop: APIClient, alice: User
) -> None:
    write(alice, "entry-1", "text")
    laptop.delete("/api/sync/backup/entry-1")
    write(alice, "entry-2", "text")
    _age(alice, "entry-1", 100)
    sync_prune(now=timezone.now())
    response = laptop.get("/api/sync/backups", {"cursor": cursor_encode(0)})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["backups"]] == ["entry-2"]

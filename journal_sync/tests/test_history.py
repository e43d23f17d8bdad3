"""Kept revisions: the last SYNC_REVISIONS_KEPT versions of an entry can be fetched."""

from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.models import EntryRevision
from journal_sync.tests.conftest import unseal, write


def test_history_lists_kept_versions_newest_first(laptop: APIClient, alice: User) -> None:
    write(alice, "entry-1", "one", device="laptop")
    write(alice, "entry-1", "two", device="phone", base=1)
    write(alice, "entry-1", "three", device="laptop", base=2)
    body = laptop.get("/api/sync/backups/entry-1/revisions").json()
    assert body["id"] == "entry-1"
    revisions = body["revisions"]
    assert [item["revision"] for item in revisions] == [3, 2, 1]
    assert [unseal(item, "entry-1") for item in revisions] == ["three", "two", "one"]
    assert [item["device_id"] for item in revisions] == ["laptop", "phone", "laptop"]


def test_history_keeps_only_the_newest_versions(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.SYNC_REVISIONS_KEPT = 3
    for revision in range(6):
        write(alice, "entry-1", f"v{revision + 1}", base=revision)
    revisions = laptop.get("/api/sync/backups/entry-1/revisions").json()["revisions"]
    assert [item["revision"] for item in revisions] == [6, 5, 4]
    assert EntryRevision.objects.filter(user=alice).count() == 2


def test_a_deleted_entry_keeps_its_history_until_the_tombstone_is_pruned(
    laptop: APIClient, alice: User
) -> None:
    write(alice, "entry-1", "words I may want back")
    laptop.delete("/api/sync/backup/entry-1")
    revisions = laptop.get("/api/sync/backups/entry-1/revisions").json()["revisions"]
    assert [(item["revision"], item["deleted"]) for item in revisions] == [(2, True), (1, False)]
    assert unseal(revisions[1], "entry-1") == "words I may want back"

"""Sync writes past a quota are a 422 quota_exceeded naming the quota, its limit and the
use, and leave everything already stored as it was."""

from typing import Any

from rest_framework.test import APIClient

from accounts.models import Device, User
from journal_sync.models import EncryptedEntry, EntryConflict
from journal_sync.selectors.summary import bytes_stored
from journal_sync.tests.conftest import payload, push, write
from reflective.lib.quotas import QuotaMessages


def _refused(response: Any, quota: str, *, limit: int, used: int, requested: int) -> None:
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert (body["quota"], body["limit"], body["used"], body["requested"]) == (
        quota,
        limit,
        used,
        requested,
    )
    assert body["detail"] == QuotaMessages.EXCEEDED.format(
        quota=quota, used=used, limit=limit, adding=requested
    )


def test_a_new_entry_past_the_entry_quota_is_refused(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.QUOTA_ENTRIES = 2
    write(alice, "entry-1", "one")
    write(alice, "entry-2", "two")
    state = laptop.get("/api/sync/state").json()

    _refused(push(laptop, payload("entry-3", "three")), "entries", limit=2, used=2, requested=1)
    assert laptop.get("/api/sync/state").json() == state
    # Editing what is stored is still fine.
    assert push(laptop, payload("entry-1", "one, edited", base=1)).status_code == 201


def test_a_batch_past_a_quota_is_refused_whole(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.QUOTA_ENTRIES = 2
    write(alice, "entry-1", "one")
    items = [payload("entry-1", "edit", base=1), payload("entry-2", "b"), payload("entry-3", "c")]
    response = laptop.post("/api/sync/batch", {"items": items}, format="json")

    _refused(response, "entries", limit=2, used=1, requested=2)
    assert list(EncryptedEntry.objects.filter(user=alice).values_list("revision")) == [(1,)]


def test_a_push_past_the_storage_quota_is_refused(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    write(alice, "entry-1", "x" * 100)
    used = bytes_stored(user=alice)
    settings.QUOTA_STORAGE_BYTES = used + 50
    response = push(laptop, payload("entry-2", "y" * 100))

    _refused(response, "storage_bytes", limit=used + 50, used=used, requested=100 + 28)
    assert bytes_stored(user=alice) == used
    # Deleting is always allowed, and makes room.
    assert laptop.delete("/api/sync/backup/entry-1").status_code == 200


def test_a_conflict_past_the_open_conflicts_quota_is_refused(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.QUOTA_OPEN_CONFLICTS_PER_ENTRY = 2
    write(alice, "entry-1", "server")
    for device in ("phone", "tablet"):
        assert push(laptop, payload("entry-1", "stale", device=device, base=0)).status_code == 409

    response = push(laptop, payload("entry-1", "stale", device="watch", base=0))
    _refused(response, "open_conflicts_per_entry", limit=2, used=2, requested=1)
    assert EntryConflict.objects.filter(user=alice).count() == 2
    # A device that already has an open conflict may still refresh it.
    again = push(laptop, payload("entry-1", "newer stale", device="phone", base=0))
    assert again.status_code == 409


def test_a_new_device_past_the_device_quota_is_refused(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.QUOTA_DEVICES = 2
    write(alice, "entry-1", "one", device="phone")
    write(alice, "entry-2", "two", device="tablet")

    response = push(laptop, payload("entry-3", "three", device="watch"))
    _refused(response, "devices", limit=2, used=2, requested=1)
    pulled = laptop.get("/api/sync/backups", {"device_id": "watch"})
    _refused(pulled, "devices", limit=2, used=2, requested=1)
    assert sorted(Device.objects.filter(user=alice).values_list("device_id", flat=True)) == [
        "phone",
        "tablet",
    ]
    assert push(laptop, payload("entry-3", "three", device="phone")).status_code == 201


def test_deleting_makes_room_again(laptop: APIClient, alice: User, settings: Any) -> None:
    write(alice, "entry-1", "x" * 100)
    used = bytes_stored(user=alice)
    settings.QUOTA_STORAGE_BYTES = used + 150
    assert push(laptop, payload("entry-2", "y" * 100)).status_code == 201
    assert push(laptop, payload("entry-3", "z" * 100)).status_code == 422

    assert laptop.delete("/api/sync/backup/content").status_code == 200
    # The account's running bound still counts the deleted bytes; the exact sum does not.
    assert push(laptop, payload("entry-3", "z" * 100)).status_code == 201

"""Clients written for the earlier server: pushes without base_revision, page totals."""

from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.models import EncryptedEntry, EntryConflict
from journal_sync.tests.conftest import payload, pull_all, push, unseal


def _deleted_on_phone(laptop: APIClient, phone: APIClient) -> None:
    push(laptop, payload("entry-1", "first", device="laptop"))
    assert phone.delete("/api/sync/backup/entry-1?device_id=phone").status_code == 200


def test_an_old_client_edit_of_an_entry_deleted_elsewhere_brings_it_back(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    _deleted_on_phone(laptop, phone)
    response = push(laptop, payload("entry-1", "edited offline", device="laptop"))
    assert response.status_code == 201
    assert response.json() == {
        "id": "entry-1",
        "status": "stored",
        "revision": 3,
        "seq": 3,
        "resurrected": True,
    }
    entry = EncryptedEntry.objects.get(user=alice, client_id="entry-1")
    assert (entry.deleted, entry.revision) == (False, 3)
    assert not EntryConflict.objects.filter(user=alice).exists()
    items, _ = pull_all(phone)
    assert unseal(items[-1], "entry-1") == "edited offline"


def test_a_resurrection_keeps_the_tombstone_in_history(laptop: APIClient, phone: APIClient) -> None:
    _deleted_on_phone(laptop, phone)
    push(laptop, payload("entry-1", "edited offline", device="laptop"))
    revisions = laptop.get("/api/sync/backups/entry-1/revisions").json()["revisions"]
    assert [(item["revision"], item["deleted"]) for item in revisions] == [
        (3, False),
        (2, True),
        (1, False),
    ]


def test_a_client_that_sends_base_revision_still_gets_the_conflict(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    _deleted_on_phone(laptop, phone)
    response = push(laptop, payload("entry-1", "edited offline", device="laptop", base=1))
    assert response.status_code == 409
    assert EncryptedEntry.objects.get(user=alice, client_id="entry-1").deleted


def test_an_ordinary_write_is_not_reported_as_a_resurrection(laptop: APIClient) -> None:
    first = push(laptop, payload("entry-1", "first", device="laptop")).json()
    again = push(laptop, payload("entry-1", "second", device="laptop")).json()
    assert "resurrected" not in first
    assert "resurrected" not in again


def test_a_batch_reports_each_resurrection(laptop: APIClient, phone: APIClient) -> None:
    _deleted_on_phone(laptop, phone)
    items = [
        payload("entry-1", "edited offline", device="laptop"),
        payload("entry-2", "new", device="laptop"),
    ]
    response = laptop.post("/api/sync/batch", {"items": items}, format="json")
    results = response.json()["results"]
    assert [result.get("resurrected", False) for result in results] == [True, False]


def test_a_pull_page_says_how_many_items_it_holds(laptop: APIClient) -> None:
    for number in range(3):
        push(laptop, payload(f"entry-{number}", "text", device="laptop"))
    first = laptop.get("/api/sync/backups", {"limit": 2}).json()
    assert (len(first["backups"]), first["total_count"], first["has_more"]) == (2, 2, True)
    rest = laptop.get("/api/sync/backups", {"cursor": first["next_cursor"]}).json()
    assert (rest["total_count"], rest["has_more"]) == (1, False)
    empty = laptop.get("/api/sync/backups", {"cursor": rest["next_cursor"]}).json()
    assert (empty["backups"], empty["total_count"]) == ([], 0)

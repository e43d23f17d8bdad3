"""Conflicts: one open per (entry, device), both versions kept, resolution is a write."""

import base64
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.errors import SyncMessages
from journal_sync.models import EncryptedEntry, EntryConflict
from journal_sync.tests.conftest import b64, payload, pull_all, push, seal, unseal, write


def _conflict(laptop: APIClient, phone: APIClient) -> dict[str, Any]:
    """entry-1 at revision 2 (phone's edit); the laptop's edit of revision 1 conflicts."""
    push(laptop, payload("entry-1", "first", device="laptop"))
    push(phone, payload("entry-1", "phone edit", device="phone", base=1))
    response = push(laptop, payload("entry-1", "laptop edit", device="laptop", base=1))
    assert response.status_code == 409
    return dict(response.json())


def _resolve(client: APIClient, conflict_id: str, **body: Any) -> Any:
    return client.post(f"/api/sync/conflicts/{conflict_id}/resolve", body, format="json")


def test_a_conflict_lists_both_versions(laptop: APIClient, phone: APIClient) -> None:
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    body = laptop.get("/api/sync/conflicts").json()
    assert body["total_count"] == 1
    listed = body["conflicts"][0]
    assert listed["id"] == conflict_id
    assert listed["log_id"] == "entry-1"
    local, remote = listed["local_version"], listed["remote_version"]
    assert unseal(local, "entry-1") == "laptop edit"
    assert local["device_id"] == "laptop"
    assert local["base_revision"] == 1
    assert unseal(remote, "entry-1") == "phone edit"
    assert remote["device_id"] == "phone"
    assert remote["revision"] == 2


def test_a_retried_conflicting_push_updates_its_conflict(
    laptop: APIClient, phone: APIClient
) -> None:
    """A device retrying an unanswered push must not pile up one conflict per retry."""
    first = _conflict(laptop, phone)
    retry = push(laptop, payload("entry-1", "laptop edit, retyped", device="laptop", base=1))
    assert retry.status_code == 409
    assert retry.json()["conflict_id"] == first["conflict_id"]
    assert EntryConflict.objects.count() == 1
    listed = laptop.get("/api/sync/conflicts").json()["conflicts"][0]
    assert unseal(listed["local_version"], "entry-1") == "laptop edit, retyped"


def test_each_device_has_its_own_open_conflict(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    _conflict(laptop, phone)
    tablet = push(phone, payload("entry-1", "tablet edit", device="tablet", base=1))
    assert tablet.status_code == 409
    assert EntryConflict.objects.filter(user=alice, resolved_at__isnull=True).count() == 2


def test_two_open_conflicts_for_one_device_and_entry_are_impossible(
    laptop: APIClient, phone: APIClient
) -> None:
    conflict = EntryConflict.objects.get(pk=_conflict(laptop, phone)["conflict_id"])
    conflict.id = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic():
        conflict.save(force_insert=True)


def test_resolving_local_writes_the_devices_version_as_a_new_revision(
    laptop: APIClient, phone: APIClient
) -> None:
    _, cursor = pull_all(phone)
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    _, cursor = pull_all(phone, cursor)
    response = _resolve(laptop, conflict_id, chosen_version="local", device_id="laptop")
    assert response.status_code == 200
    assert response.json()["revision"] == 3
    items, _ = pull_all(phone, cursor)
    assert [(item["revision"], item["device_id"]) for item in items] == [(3, "laptop")]
    assert unseal(items[0], "entry-1") == "laptop edit"


def test_resolving_merged_stores_the_new_tag_embedding_and_device(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    """Without the GCM tag the merged text cannot be decrypted; the device id says who merged."""
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    merged = seal("both edits, merged", "entry-1")
    embedding = b"\x07" * 64
    response = _resolve(
        laptop,
        conflict_id,
        chosen_version="merged",
        final_encrypted_content=b64(merged.encrypted_content),
        final_iv=b64(merged.content_iv),
        final_tag=b64(merged.content_tag or b""),
        final_encrypted_embedding=b64(embedding),
        final_embedding_iv=b64(b"\x01" * 12),
        device_id="tablet",
    )
    assert response.status_code == 200
    entry = EncryptedEntry.objects.get(user=alice, client_id="entry-1")
    assert entry.revision == 3
    assert entry.device_id == "tablet"
    assert bytes(entry.encrypted_embedding or b"") == embedding
    items, _ = pull_all(laptop)
    assert unseal(items[-1], "entry-1") == "both edits, merged"


def test_a_resolution_is_a_new_write_with_a_fresh_timestamp(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    before = EncryptedEntry.objects.get(user=alice, client_id="entry-1")
    _resolve(laptop, conflict_id, chosen_version="local", device_id="laptop")
    after = EncryptedEntry.objects.get(user=alice, client_id="entry-1")
    assert after.seq > before.seq
    assert after.stored_at > before.stored_at
    assert after.updated_at is not None
    assert after.updated_at > before.stored_at


def test_resolving_remote_keeps_the_server_version_and_closes_the_conflict(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    response = _resolve(laptop, conflict_id, chosen_version="remote")
    assert response.status_code == 200
    assert response.json()["revision"] == 2
    assert EncryptedEntry.objects.get(user=alice, client_id="entry-1").revision == 2
    assert laptop.get("/api/sync/conflicts").json()["conflicts"] == []


def test_a_conflict_cannot_be_resolved_twice(laptop: APIClient, phone: APIClient) -> None:
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    assert _resolve(laptop, conflict_id, chosen_version="local").status_code == 200
    again = _resolve(laptop, conflict_id, chosen_version="local")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict_resolved"
    assert again.json()["detail"] == SyncMessages.CONFLICT_RESOLVED


def test_a_conflict_whose_entry_moved_on_is_stale(laptop: APIClient, phone: APIClient) -> None:
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    push(phone, payload("entry-1", "phone edits again", device="phone", base=2))
    response = _resolve(laptop, conflict_id, chosen_version="local")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict_stale"
    assert response.json()["current_revision"] == 3
    # Keeping the server's version is always possible.
    assert _resolve(laptop, conflict_id, chosen_version="remote").status_code == 200


def test_a_stale_push_does_not_resurrect_a_deleted_entry(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    push(laptop, payload("entry-1", "first", device="laptop"))
    phone.delete("/api/sync/backup/entry-1?device_id=phone")
    response = push(laptop, payload("entry-1", "edit of first", device="laptop", base=1))
    assert response.status_code == 409
    assert EncryptedEntry.objects.get(user=alice, client_id="entry-1").deleted
    listed = laptop.get("/api/sync/conflicts").json()["conflicts"][0]
    assert listed["remote_version"]["deleted"] is True
    assert listed["remote_version"]["encrypted_content"] is None


def test_resolving_a_conflict_on_a_deleted_entry_restores_it(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    """A conflict against a delete must stay resolvable, or the refused edit is stuck forever."""
    push(laptop, payload("entry-1", "first", device="laptop"))
    phone.delete("/api/sync/backup/entry-1?device_id=phone")
    conflict_id = push(laptop, payload("entry-1", "keep me", device="laptop", base=1)).json()[
        "conflict_id"
    ]
    response = _resolve(laptop, conflict_id, chosen_version="local", device_id="laptop")
    assert response.status_code == 200
    entry = EncryptedEntry.objects.get(user=alice, client_id="entry-1")
    assert not entry.deleted
    assert entry.revision == 3
    items, _ = pull_all(phone)
    assert unseal(items[-1], "entry-1") == "keep me"


def test_a_stale_delete_is_a_conflict(laptop: APIClient, phone: APIClient, alice: User) -> None:
    push(laptop, payload("entry-1", "first", device="laptop"))
    push(phone, payload("entry-1", "phone edit", device="phone", base=1))
    response = laptop.delete("/api/sync/backup/entry-1?device_id=laptop&base_revision=1")
    assert response.status_code == 409
    assert not EncryptedEntry.objects.get(user=alice, client_id="entry-1").deleted
    listed = laptop.get("/api/sync/conflicts").json()["conflicts"][0]
    assert listed["local_version"]["deleted"] is True
    resolved = _resolve(laptop, response.json()["conflict_id"], chosen_version="local")
    assert resolved.status_code == 200
    assert EncryptedEntry.objects.get(user=alice, client_id="entry-1").deleted


def test_a_resolved_conflict_keeps_no_ciphertext(laptop: APIClient, phone: APIClient) -> None:
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    _resolve(laptop, conflict_id, chosen_version="remote")
    conflict = EntryConflict.objects.get(pk=conflict_id)
    assert conflict.local_encrypted_content is None
    assert conflict.size_bytes == 0
    assert conflict.resolution == "remote"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"chosen_version": "merged"}, "final_encrypted_content"),
        ({"chosen_version": "merged", "final_encrypted_content": "AAAA"}, "final_iv"),
        ({"chosen_version": "local", "final_iv": b64(b"\x00" * 12)}, "final_iv"),
        ({"chosen_version": "theirs"}, "chosen_version"),
    ],
)
def test_a_malformed_resolution_is_refused(
    laptop: APIClient, phone: APIClient, body: dict[str, Any], field: str
) -> None:
    conflict_id = _conflict(laptop, phone)["conflict_id"]
    response = _resolve(laptop, conflict_id, **body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert EntryConflict.objects.get(pk=conflict_id).resolved_at is None


def test_an_unknown_conflict_id_is_not_found(laptop: APIClient) -> None:
    assert _resolve(laptop, "not-a-uuid", chosen_version="remote").status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert _resolve(laptop, missing, chosen_version="remote").status_code == 404


def test_a_batch_reports_conflicts_per_item(laptop: APIClient, alice: User) -> None:
    write(alice, "entry-1", "first", device="phone")
    write(alice, "entry-1", "second", device="phone", base=1)
    items = [
        payload("entry-1", "stale edit", device="laptop", base=1),
        payload("entry-2", "new", device="laptop", base=0),
    ]
    response = laptop.post("/api/sync/batch", {"items": items}, format="json")
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["conflict", "stored"]
    assert results[0]["current_revision"] == 2
    assert EntryConflict.objects.filter(pk=results[0]["conflict_id"]).exists()
    assert base64.b64decode(items[0]["encrypted_content"]) == bytes(
        EntryConflict.objects.get(pk=results[0]["conflict_id"]).local_encrypted_content or b""
    )

"""Pushing one entry: create, compare-and-swap update, idempotent retry, legacy clients."""

import base64
import hashlib
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Device, User
from changefeed.feed import feed_cursor
from journal_sync.models import EncryptedEntry, EntryConflict
from journal_sync.services.push import entries_push
from journal_sync.tests.conftest import payload, pull_all, push, unseal


def test_a_new_entry_is_stored_at_revision_one(laptop: APIClient, alice: User) -> None:
    body = payload("entry-1", "dear diary")
    response = push(laptop, body)
    assert response.status_code == 201
    assert response.json() == {"id": "entry-1", "status": "stored", "revision": 1, "seq": 1}
    stored = EncryptedEntry.objects.get(user=alice, client_id="entry-1")
    assert bytes(stored.encrypted_content or b"") == base64.b64decode(body["encrypted_content"])
    expected = hashlib.sha256(base64.b64decode(body["encrypted_content"])).hexdigest()
    assert stored.content_sha256 == expected


def test_an_edit_from_the_current_revision_takes_the_next_revision(laptop: APIClient) -> None:
    push(laptop, payload("entry-1", "first"))
    response = push(laptop, payload("entry-1", "second", base=1))
    assert response.status_code == 201
    assert response.json()["revision"] == 2
    assert response.json()["seq"] == 2
    items, _ = pull_all(laptop)
    assert [unseal(item, "entry-1") for item in items] == ["second"]


def test_stale_base_revision_is_a_conflict_and_overwrites_nothing(laptop: APIClient) -> None:
    push(laptop, payload("entry-1", "first"))
    push(laptop, payload("entry-1", "second", base=1))
    response = push(laptop, payload("entry-1", "edited from first", base=1))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["log_id"] == "entry-1"
    assert body["current_revision"] == 2
    conflict = EntryConflict.objects.get(pk=body["conflict_id"])
    assert conflict.base_revision == 1
    items, _ = pull_all(laptop)
    assert [unseal(item, "entry-1") for item in items] == ["second"]


def test_a_retried_push_is_unchanged_with_the_same_revision(laptop: APIClient) -> None:
    """The response of the first push was lost; the device sends the same bytes again."""
    body = payload("entry-1", "first")
    first = push(laptop, body)
    again = push(laptop, body)
    assert again.status_code == 201
    assert again.json() == {**first.json(), "status": "unchanged"}
    assert EntryConflict.objects.count() == 0


def test_a_retried_edit_after_it_was_applied_is_unchanged(laptop: APIClient) -> None:
    push(laptop, payload("entry-1", "first"))
    edit = payload("entry-1", "second", base=1)
    assert push(laptop, edit).json()["revision"] == 2
    again = push(laptop, edit)
    assert again.status_code == 201
    assert again.json()["status"] == "unchanged"
    assert again.json()["revision"] == 2
    assert again.json()["seq"] == 2
    assert EntryConflict.objects.count() == 0


def test_a_new_entry_whose_id_exists_is_a_conflict(laptop: APIClient, phone: APIClient) -> None:
    push(laptop, payload("entry-1", "from the laptop"))
    response = push(phone, payload("entry-1", "from the phone", device="phone", base=0))
    assert response.status_code == 409


def test_the_same_device_cannot_roll_back_an_entry_with_a_stale_retry(
    laptop: APIClient,
) -> None:
    """Last-writer-wins would let a stale retry silently undo a newer edit."""
    push(laptop, payload("entry-1", "first"))
    push(laptop, payload("entry-1", "second", base=1))
    response = push(laptop, payload("entry-1", "first again", base=1))
    assert response.status_code == 409


def test_an_edit_right_after_a_resolution_from_another_device_is_accepted(
    laptop: APIClient, phone: APIClient
) -> None:
    """A write based on the current revision is no conflict, whichever device made it."""
    push(laptop, payload("entry-1", "first"))
    push(phone, payload("entry-1", "phone edit", device="phone", base=1))
    response = push(laptop, payload("entry-1", "laptop edit", base=2))
    assert response.status_code == 201
    assert response.json()["revision"] == 3


class TestClientsWithoutBaseRevision:
    def test_a_new_id_is_created(self, laptop: APIClient) -> None:
        assert push(laptop, payload("entry-1", "first")).status_code == 201

    def test_the_last_writer_may_write_again(self, laptop: APIClient) -> None:
        push(laptop, payload("entry-1", "first"))
        response = push(laptop, payload("entry-1", "second"))
        assert response.status_code == 201
        assert response.json()["revision"] == 2

    def test_identical_content_is_unchanged(self, laptop: APIClient, phone: APIClient) -> None:
        body = payload("entry-1", "first")
        push(laptop, body)
        response = push(phone, {**body, "device_id": "phone"})
        assert response.json()["status"] == "unchanged"

    def test_another_device_conflicts(self, laptop: APIClient, phone: APIClient) -> None:
        push(laptop, payload("entry-1", "first"))
        assert push(phone, payload("entry-1", "other", device="phone")).status_code == 409


def test_a_push_records_the_device(laptop: APIClient, alice: User) -> None:
    push(laptop, payload("entry-1", "first", device="laptop-7"))
    device = Device.objects.get(user=alice, device_id="laptop-7")
    assert device.last_seen_at is not None


def test_embedding_is_stored_and_pulled(laptop: APIClient) -> None:
    body = payload(
        "entry-1",
        "first",
        encrypted_embedding=base64.b64encode(b"\x01" * 300).decode(),
        embedding_iv=base64.b64encode(b"\x02" * 12).decode(),
    )
    push(laptop, body)
    items, _ = pull_all(laptop)
    assert items[0]["encrypted_embedding"] == body["encrypted_embedding"]
    assert items[0]["embedding_iv"] == body["embedding_iv"]


def test_a_new_embedding_for_the_same_content_is_a_new_revision(laptop: APIClient) -> None:
    """Only byte-identical versions are 'unchanged'; an added embedding is a write."""
    body = payload("entry-1", "first")
    push(laptop, body)
    with_embedding = {
        **body,
        "base_revision": 1,
        "encrypted_embedding": base64.b64encode(b"\x01" * 30).decode(),
        "embedding_iv": base64.b64encode(b"\x02" * 12).decode(),
    }
    response = push(laptop, with_embedding)
    assert response.json()["status"] == "stored"
    assert response.json()["revision"] == 2


# SQLite has no writes in a WITH: it takes the feed position and the bound (and the tier)
# one statement each.
_APART = 0 if connection.vendor == "postgresql" else 1


# auth, tier lock, device lookup and upsert, the feed position with the storage bound,
# entry heads, insert; an update also archives the replaced version, and past
# SYNC_REVISIONS_KEPT trims the oldest kept one. The test's own transaction adds two
# savepoints.
@pytest.mark.parametrize(("earlier_versions", "queries"), [(0, 9), (1, 10), (5, 10), (25, 11)])
def test_pushing_one_entry_is_a_constant_number_of_queries(
    laptop: APIClient, django_assert_num_queries: object, earlier_versions: int, queries: int
) -> None:
    push(laptop, payload("another-entry", "an earlier write"))
    for revision in range(earlier_versions):
        push(laptop, payload("entry-1", f"version {revision}", base=revision))
    body = payload("entry-1", "next", base=earlier_versions)
    with django_assert_num_queries(queries + _APART):  # type: ignore[operator]
        assert push(laptop, body).status_code == 201


def test_a_first_write_creates_the_sync_row_without_extra_queries(
    laptop: APIClient, django_assert_num_queries: object
) -> None:
    # The first push of a device also counts the devices against their quota, and the
    # account's first write sums its stored bytes (one sum per app) to start its bound.
    with django_assert_num_queries(14 + _APART):  # type: ignore[operator]
        assert push(laptop, payload("entry-1", "first")).status_code == 201


def test_a_push_from_a_recorded_device_takes_its_locks_in_one_statement(
    laptop: APIClient, django_assert_num_queries: object, django_capture_on_commit_callbacks: Any
) -> None:
    # Once this worker has recorded the device: auth, then the tier lock, the feed position
    # and the storage bound in one statement, entry heads, insert (and the two savepoints).
    with django_capture_on_commit_callbacks(execute=True):
        push(laptop, payload("entry-1", "first"))
    with django_assert_num_queries(6 + 2 * _APART):  # type: ignore[operator]
        response = push(laptop, payload("entry-2", "second"))
    assert response.status_code == 201
    assert response.json()["seq"] == 2


def test_a_no_op_push_takes_no_feed_position(laptop: APIClient, alice: User) -> None:
    body = payload("entry-1", "first")
    push(laptop, body)
    push(laptop, body)
    push(laptop, payload("entry-1", "stale", base=0, device="phone"))
    assert push(laptop, payload("entry-2", "second")).json()["seq"] == 2


def test_pushing_nothing_stores_nothing_and_takes_no_position(alice: User) -> None:
    assert entries_push(user=alice, writes=[]) == []
    assert not EncryptedEntry.objects.filter(user=alice).exists()
    assert feed_cursor(user=alice) == 0

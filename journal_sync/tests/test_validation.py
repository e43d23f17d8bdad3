"""Bad input is a 4xx with a clear code, never a 500, and never partly stored.

A client can only correct what the answer names, and a half-stored batch would leave
devices disagreeing about what the server holds.
"""

import base64
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from changefeed.models import SyncState
from journal_sync.errors import SyncMessages
from journal_sync.models import EncryptedEntry
from journal_sync.tests.conftest import b64, payload, push

MIB = 1024 * 1024


def _nothing_stored(user: User) -> bool:
    return (
        not EncryptedEntry.objects.filter(user=user).exists()
        and not SyncState.objects.filter(user=user, last_seq__gt=0).exists()
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"encrypted_content": "not base64!!"}, "encrypted_content"),
        ({"content_iv": b64(b"\x00" * 5)}, "content_iv"),
        ({"content_iv": b64(b"\x00" * 17)}, "content_iv"),
        ({"content_tag": b64(b"\x00" * 3)}, "content_tag"),
        ({"id": "has/slash"}, "id"),
        ({"id": "x" * 200}, "id"),
        ({"id": ""}, "id"),
        ({"id": " padded"}, "id"),
        ({"id": "content"}, "id"),
        ({"id": 123}, "id"),
        ({"device_id": "bad device id"}, "device_id"),
        ({"device_id": None}, "device_id"),
        ({"created_at": "2026-01-02T03:04:05"}, "created_at"),
        ({"updated_at": "yesterday"}, "updated_at"),
        ({"updated_at": "9999-12-31T23:59:59-05:00"}, "updated_at"),
        ({"base_revision": "1"}, "base_revision"),
        ({"base_revision": -1}, "base_revision"),
        ({"base_revision": 1.5}, "base_revision"),
        ({"base_revision": True}, "base_revision"),
        ({"base_revision": 10**30}, "base_revision"),
        ({"encrypted_content": 42}, "encrypted_content"),
        ({"encrypted_content": ""}, "encrypted_content"),
        ({"encrypted_embedding": b64(b"\x01" * 10)}, "embedding_iv"),
        ({"surprise": "field"}, "surprise"),
    ],
)
def test_a_bad_push_is_a_400_naming_the_field(
    laptop: APIClient, alice: User, change: dict[str, Any], field: str
) -> None:
    response = push(laptop, {**payload("entry-1", "text"), **change})
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert _nothing_stored(alice)


@pytest.mark.parametrize("missing", ["id", "encrypted_content", "content_iv", "device_id"])
def test_a_push_without_a_required_field_is_a_400(
    laptop: APIClient, alice: User, missing: str
) -> None:
    body = payload("entry-1", "text")
    del body[missing]
    response = push(laptop, body)
    assert response.status_code == 400
    assert missing in response.json()["fields"]


@pytest.mark.parametrize(
    "body", [[], "text", 5, None, {"items": "x"}], ids=["list", "str", "int", "null", "obj"]
)
def test_a_body_of_the_wrong_json_type_is_a_400(laptop: APIClient, body: Any) -> None:
    response = laptop.post("/api/sync/backup", body, format="json")
    assert response.status_code == 400


def test_a_body_that_is_not_json_is_a_400(laptop: APIClient) -> None:
    response = laptop.post("/api/sync/backup", b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"


def test_an_oversized_ciphertext_is_a_422(laptop: APIClient, alice: User) -> None:
    body = {**payload("entry-1", "text"), "encrypted_content": b64(b"\x00" * (2 * MIB))}
    response = push(laptop, body)
    assert response.status_code == 422
    assert response.json()["code"] == "ciphertext_too_large"
    assert "encrypted_content" in response.json()["fields"]
    assert _nothing_stored(alice)


def test_a_ciphertext_at_the_cap_is_stored(laptop: APIClient) -> None:
    body = {**payload("entry-1", "text"), "encrypted_content": b64(b"\x00" * MIB)}
    assert push(laptop, body).status_code == 201


def test_a_batch_of_101_items_is_refused_whole(laptop: APIClient, alice: User) -> None:
    items = [payload(f"entry-{n}", "text") for n in range(101)]
    response = laptop.post("/api/sync/batch", {"items": items}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "batch_too_large"
    assert _nothing_stored(alice)


def test_a_batch_with_one_bad_item_stores_nothing(laptop: APIClient, alice: User) -> None:
    items = [payload(f"entry-{n}", "text") for n in range(5)]
    items[3]["content_iv"] = b64(b"\x00" * 5)
    response = laptop.post("/api/sync/batch", {"items": items}, format="json")
    assert response.status_code == 400
    assert "content_iv" in response.json()["fields"]["items"]["3"]
    assert _nothing_stored(alice)


def test_a_batch_with_one_oversized_item_is_a_422_storing_nothing(
    laptop: APIClient, alice: User
) -> None:
    items = [payload(f"entry-{n}", "text") for n in range(3)]
    items[1]["encrypted_content"] = b64(b"\x00" * (MIB + 1))
    response = laptop.post("/api/sync/batch", {"items": items}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "ciphertext_too_large"
    assert _nothing_stored(alice)


def test_an_empty_batch_is_a_400(laptop: APIClient) -> None:
    response = laptop.post("/api/sync/batch", {"items": []}, format="json")
    assert response.status_code == 400


def test_a_repeated_id_in_one_batch_is_rejected_and_the_rest_stored(laptop: APIClient) -> None:
    items = [payload("entry-1", "one"), payload("entry-2", "two"), payload("entry-1", "again")]
    response = laptop.post("/api/sync/batch", {"items": items}, format="json")
    assert response.status_code == 200
    statuses = [(result["id"], result["status"]) for result in response.json()["results"]]
    assert statuses == [("entry-1", "stored"), ("entry-2", "stored"), ("entry-1", "rejected")]
    assert response.json()["results"][2]["error"] == "duplicate_id"
    assert response.json()["results"][2]["detail"] == SyncMessages.DUPLICATE_ID


def test_a_body_over_the_request_limit_is_a_413(laptop: APIClient, settings: Any) -> None:
    settings.REQUEST_BODY_MAX_BYTES = 1000
    response = push(laptop, {**payload("entry-1", "text"), "encrypted_content": b64(b"0" * 2000)})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"v1:-5").decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"v9:5").decode()}, "cursor"),
        ({"cursor": "x" * 500}, "cursor"),
        ({"since": "2026-01-02T03:04:05"}, "since"),
        ({"since": "2026-01-01T00:00:00Z", "cursor": "djE6MA"}, "cursor"),
        ({"device_id": "a b"}, "device_id"),
    ],
)
def test_a_bad_pull_is_a_400_naming_the_parameter(
    laptop: APIClient, query: dict[str, Any], field: str
) -> None:
    response = laptop.get("/api/sync/backups", query)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_garbage_cursor_has_its_own_code(laptop: APIClient) -> None:
    response = laptop.get("/api/sync/backups", {"cursor": "garbage"})
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "query", ["base_revision=abc", "base_revision=-1", "device_id=a%20b"], ids=str
)
def test_a_bad_delete_is_a_400(laptop: APIClient, alice: User, query: str) -> None:
    push(laptop, payload("entry-1", "text"))
    response = laptop.delete(f"/api/sync/backup/entry-1?{query}")
    assert response.status_code == 400
    assert not EncryptedEntry.objects.get(user=alice, client_id="entry-1").deleted


def test_deleting_an_unknown_or_invalid_id_is_a_404(laptop: APIClient) -> None:
    assert laptop.delete("/api/sync/backup/nope").status_code == 404
    assert laptop.delete("/api/sync/backup/" + "x" * 200).status_code == 404
    assert laptop.delete("/api/sync/backup/a/b").status_code == 404


def test_wrong_methods_are_a_405(laptop: APIClient) -> None:
    assert laptop.get("/api/sync/backup").status_code == 405
    assert laptop.put("/api/sync/state", {}, format="json").status_code == 405


def test_trailing_slashes_are_not_routes(laptop: APIClient) -> None:
    assert laptop.get("/api/sync/backups/").status_code == 404


def test_one_serializer_validating_every_push_answers_as_a_fresh_one(laptop: APIClient) -> None:
    """validated_input checks push bodies on one shared serializer: a bad body between two
    good ones gets the fresh serializer's errors, and leaves nothing behind for the next."""
    from journal_sync.serializers.requests import EntryPushSerializer

    bad = {**payload("entry-2", "two"), "content_iv": "not base64!!", "base_revision": -1}
    fresh = EntryPushSerializer(data=bad)
    assert not fresh.is_valid()
    assert push(laptop, payload("entry-1", "one")).status_code == 201
    refused = push(laptop, bad)
    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        name: [str(error) for error in errors] for name, errors in fresh.errors.items()
    }
    assert push(laptop, payload("entry-2", "two")).json()["seq"] == 2

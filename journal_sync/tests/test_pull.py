"""Pulling the change feed: cursor paging, exact has_more, tombstones, device exclusion."""

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from accounts.models import Device, User
from journal_sync.cursor import cursor_decode, cursor_encode
from journal_sync.models import EncryptedEntry
from journal_sync.selectors.feed import FEED_FIELDS
from journal_sync.serializers.responses import feed_entry_json, feed_entry_pulled
from journal_sync.services.versions import CIPHERTEXT_FIELDS
from journal_sync.tests.conftest import payload, pull_all, push, unseal, write


def test_a_pull_returns_entries_in_feed_order_with_a_cursor(laptop: APIClient, alice: User) -> None:
    for number in range(3):
        write(alice, f"entry-{number}", f"text {number}")
    response = laptop.get("/api/sync/backups")
    body = response.json()
    assert [item["id"] for item in body["backups"]] == ["entry-0", "entry-1", "entry-2"]
    assert [item["seq"] for item in body["backups"]] == [1, 2, 3]
    assert unseal(body["backups"][1], "entry-1") == "text 1"
    assert body["has_more"] is False
    assert cursor_decode(body["next_cursor"]) == 3


def test_pulling_from_the_cursor_returns_only_later_writes(laptop: APIClient, alice: User) -> None:
    write(alice, "entry-1", "first")
    _, cursor = pull_all(laptop)
    write(alice, "entry-2", "second")
    write(alice, "entry-1", "first, edited", base=1)
    items, _ = pull_all(laptop, cursor)
    assert [(item["id"], item["revision"]) for item in items] == [("entry-2", 1), ("entry-1", 2)]


def test_client_clocks_do_not_decide_what_a_device_pulls(
    laptop: APIClient, phone: APIClient
) -> None:
    """Ordering by the client's updated_at would hide a write made on a slow clock forever."""
    push(laptop, payload("entry-1", "text", updated_at="2030-01-01T00:00:00Z"))
    _, cursor = pull_all(phone)
    late_clock = payload("entry-2", "text", device="phone", updated_at="2001-01-01T00:00:00Z")
    push(phone, late_clock)
    push(laptop, payload("entry-3", "text", updated_at="2030-01-01T00:00:00Z"))
    items, _ = pull_all(laptop, cursor)
    assert [item["id"] for item in items] == ["entry-2", "entry-3"]


def test_has_more_is_false_when_the_last_page_is_exactly_full(
    laptop: APIClient, alice: User
) -> None:
    """has_more is exact: "true whenever the page is full" would cost an empty extra request."""
    for number in range(4):
        write(alice, f"entry-{number}", "text")
    first = laptop.get("/api/sync/backups", {"limit": 2}).json()
    assert first["has_more"] is True
    second = laptop.get("/api/sync/backups", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(second["backups"]) == 2
    assert second["has_more"] is False


def test_an_empty_feed_has_a_cursor_and_no_more(laptop: APIClient) -> None:
    body = laptop.get("/api/sync/backups").json()
    assert body == {
        "backups": [],
        "total_count": 0,
        "next_cursor": cursor_encode(0),
        "has_more": False,
    }


def test_the_cursor_is_opaque_and_stable(laptop: APIClient, alice: User) -> None:
    write(alice, "entry-1", "text")
    _, first = pull_all(laptop)
    _, again = pull_all(laptop)
    assert first == again == cursor_encode(1)
    assert "1" not in first


def test_a_delete_reaches_other_devices_as_a_tombstone(
    laptop: APIClient, phone: APIClient, alice: User
) -> None:
    write(alice, "entry-1", "secret")
    _, cursor = pull_all(phone)
    response = laptop.delete("/api/sync/backup/entry-1?device_id=laptop")
    assert response.status_code == 200
    assert response.json()["revision"] == 2
    items, _ = pull_all(phone, cursor)
    assert len(items) == 1
    tombstone = items[0]
    assert tombstone["id"] == "entry-1"
    assert tombstone["deleted"] is True
    assert tombstone["revision"] == 2
    assert tombstone["encrypted_content"] is None
    assert tombstone["content_iv"] is None
    stored = EncryptedEntry.objects.get(user=alice, client_id="entry-1")
    assert stored.encrypted_content is None


def test_device_id_leaves_out_that_devices_own_writes(laptop: APIClient, alice: User) -> None:
    write(alice, "mine", "text", device="laptop")
    write(alice, "theirs", "text", device="phone")
    write(alice, "mine-too", "text", device="laptop")
    body = laptop.get("/api/sync/backups", {"device_id": "laptop"}).json()
    assert [item["id"] for item in body["backups"]] == ["theirs"]
    assert cursor_decode(body["next_cursor"]) == 3
    assert Device.objects.filter(user=alice, device_id="laptop").exists()


def test_a_page_of_only_excluded_writes_still_moves_the_cursor(
    laptop: APIClient, alice: User
) -> None:
    for number in range(3):
        write(alice, f"entry-{number}", "text", device="laptop")
    body = laptop.get("/api/sync/backups", {"device_id": "laptop"}).json()
    assert body["backups"] == []
    assert cursor_decode(body["next_cursor"]) == 3


def test_since_still_works_for_old_clients(laptop: APIClient, alice: User) -> None:
    write(alice, "old", "text")
    EncryptedEntry.objects.filter(client_id="old").update(
        stored_at=timezone.now() - timedelta(days=2)
    )
    write(alice, "new", "text")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    body = laptop.get("/api/sync/backups", {"since": since}).json()
    assert [item["id"] for item in body["backups"]] == ["new"]
    assert cursor_decode(body["next_cursor"]) == 2


def test_timestamps_carry_their_zone(laptop: APIClient, alice: User) -> None:
    """A time without a zone is read as local time by browsers, shifting it by hours."""
    write(alice, "entry-1", "text")
    item = laptop.get("/api/sync/backups").json()["backups"][0]
    assert item["stored_at"].endswith("Z")
    push(laptop, payload("entry-2", "text", updated_at="2026-01-02T05:04:05+02:00"))
    items, _ = pull_all(laptop)
    assert items[-1]["updated_at"] == "2026-01-02T03:04:05Z"


def test_a_pulled_page_is_byte_for_byte_what_drf_renders(laptop: APIClient, alice: User) -> None:
    """orjson writes the page's times itself: the bytes are those of DRF's own renderer."""
    write(alice, "entry-1", "text")  # stored_at with microseconds
    push(laptop, payload("entry-2", "text", updated_at="2026-01-02T05:04:05+02:00"))
    laptop.delete("/api/sync/backup/entry-1")  # a tombstone: no ciphertext
    rows = EncryptedEntry.objects.filter(user=alice).order_by("seq").values(*FEED_FIELDS)
    expected = {
        "backups": [feed_entry_json(row) for row in rows],
        "total_count": 2,
        "next_cursor": cursor_encode(3),
        "has_more": False,
    }
    assert laptop.get("/api/sync/backups").content == JSONRenderer().render(expected)


def test_content_hash_lets_a_client_verify_what_it_pulled(laptop: APIClient, alice: User) -> None:
    import hashlib

    write(alice, "entry-1", "text")
    item = laptop.get("/api/sync/backups").json()["backups"][0]
    content = base64.b64decode(item["encrypted_content"])
    assert item["content_sha256"] == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("entries", [1, 40])
def test_pulling_a_page_is_a_constant_number_of_queries(
    laptop: APIClient, alice: User, django_assert_num_queries: object, entries: int
) -> None:
    for number in range(entries):
        write(alice, f"entry-{number}", "text")
    # auth and the page: on PostgreSQL one statement reads the feed position, the sizes and
    # the rows that fit; elsewhere three, in one transaction (BEGIN and COMMIT are not
    # counted). A new device_id adds the device lookup, the count against its quota and the
    # upsert.
    page = 1 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(1 + page):  # type: ignore[operator]
        laptop.get("/api/sync/backups", {"limit": "500"})
    with django_assert_num_queries(4 + page):  # type: ignore[operator]
        laptop.get("/api/sync/backups", {"limit": "500", "device_id": "laptop"})
    cursor = laptop.get("/api/sync/backups", {"limit": "1"}).json()["next_cursor"]
    # A cursor past the start reads no more (the watermark comes with the rows); past the
    # last entry the sizes come back empty (and elsewhere than PostgreSQL no rows are read).
    past_the_end = page if entries > 1 else min(page, 2)
    with django_assert_num_queries(1 + past_the_end):  # type: ignore[operator]
        laptop.get("/api/sync/backups", {"limit": "500", "cursor": cursor})


@pytest.mark.postgres_only
def test_pulling_walks_the_user_and_seq_index(alice: User) -> None:
    rows = EncryptedEntry.objects.filter(user=alice, seq__gt=10).order_by("seq")[:101]
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "entry_user_seq" in plan


def test_a_pulled_entry_takes_each_field_from_its_own_column() -> None:
    """Rows come as tuples in FEED_FIELDS order; a marker per column proves the mapping."""
    row: dict[str, Any] = {
        name: name.encode() if name in CIPHERTEXT_FIELDS else f"<{name}>" for name in FEED_FIELDS
    }
    entry = feed_entry_pulled(tuple(row[name] for name in FEED_FIELDS))
    for key, value in entry.items():
        name = "client_id" if key == "id" else key
        expected = base64.b64encode(row[name]).decode() if name in CIPHERTEXT_FIELDS else row[name]
        assert value == expected, key
    assert len(entry) == len(FEED_FIELDS)

"""GET /sync/state: the cursor, counts and a digest a client can recompute."""

import hashlib

from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.cursor import cursor_decode
from journal_sync.tests.conftest import pull_all, write


def _client_digest(items: list[dict[str, object]]) -> str:
    """How a client computes it from what it pulled (the recipe in docs/SYNC.md)."""
    lines = sorted(
        f"{item['id']}:{item['revision']}\n".encode() for item in items if not item["deleted"]
    )
    return hashlib.sha256(b"".join(lines)).hexdigest()


def test_the_digest_matches_what_a_device_pulled(laptop: APIClient, alice: User) -> None:
    write(alice, "b-entry", "text")
    write(alice, "a-entry", "text")
    write(alice, "B-entry", "text")
    write(alice, "a-entry", "edited", base=1)
    write(alice, "gone", "text")
    laptop.delete("/api/sync/backup/gone")
    items, cursor = pull_all(laptop)
    state = laptop.get("/api/sync/state").json()
    assert state["digest"] == _client_digest(items)
    expected = hashlib.sha256(b"B-entry:1\na-entry:2\nb-entry:1\n").hexdigest()
    assert state["digest"] == expected
    assert state["entry_count"] == 3
    assert state["cursor"] == cursor
    assert cursor_decode(state["cursor"]) == 6


def test_bytes_stored_counts_entries_history_and_conflicts(laptop: APIClient, alice: User) -> None:
    iv_and_tag = 12 + 16
    write(alice, "entry-1", "12345")
    assert laptop.get("/api/sync/state").json()["bytes_stored"] == 5 + iv_and_tag
    write(alice, "entry-1", "1234567", base=1)
    current, kept = 7 + iv_and_tag, 5 + iv_and_tag
    assert laptop.get("/api/sync/state").json()["bytes_stored"] == current + kept
    write(alice, "entry-1", "stale", device="phone", base=1)
    conflict = 5 + iv_and_tag  # the refused push; the server's version is not copied
    assert laptop.get("/api/sync/state").json()["bytes_stored"] == current + kept + conflict


def test_an_empty_account_has_the_digest_of_nothing(laptop: APIClient) -> None:
    state = laptop.get("/api/sync/state").json()
    assert state["digest"] == hashlib.sha256(b"").hexdigest()
    assert state["entry_count"] == 0
    assert state["bytes_stored"] == 0

"""Pages of entries and conflicts are bounded by bytes as well as by items."""

from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.tests.conftest import pull_all, unseal, write

# Each of these entries holds 10,000 + 28 bytes of ciphertext (content, IV and tag).
TEXT = "y" * 10_000
BUDGET = 25_000  # two entries fit, a third does not


def _entries(user: User, count: int) -> None:
    for number in range(count):
        write(user, f"entry-{number}", TEXT)


def test_a_feed_page_stops_at_the_byte_budget(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.SYNC_PAGE_MAX_BYTES = BUDGET
    _entries(alice, 5)
    body = laptop.get("/api/sync/backups", {"limit": 500}).json()
    assert (len(body["backups"]), body["has_more"]) == (2, True)


def test_walking_byte_bounded_feed_pages_gets_every_entry(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.SYNC_PAGE_MAX_BYTES = BUDGET
    _entries(alice, 5)
    items, _ = pull_all(laptop, limit=500)
    assert [item["id"] for item in items] == [f"entry-{number}" for number in range(5)]
    assert {unseal(item, item["id"]) for item in items} == {TEXT}


def test_one_entry_larger_than_the_budget_still_comes_alone(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.SYNC_PAGE_MAX_BYTES = 100
    _entries(alice, 2)
    body = laptop.get("/api/sync/backups", {"limit": 500}).json()
    assert (len(body["backups"]), body["has_more"]) == (1, True)


def test_a_conflict_page_counts_both_versions_against_the_budget(
    laptop: APIClient, alice: User, settings: Any
) -> None:
    settings.SYNC_PAGE_MAX_BYTES = BUDGET
    write(alice, "entry-1", TEXT)
    for number in range(4):
        write(alice, "entry-1", "tiny", device=f"device-{number}", base=0)
    # Each conflict shows the 10 KB remote version: two fit in 25 KB.
    seen: list[str] = []
    query: dict[str, Any] = {"limit": 500}
    while True:
        body = laptop.get("/api/sync/conflicts", query).json()
        assert len(body["conflicts"]) <= 2
        seen.extend(item["id"] for item in body["conflicts"])
        if not body["has_more"]:
            break
        query["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 4

"""The open-conflict list is paged oldest first, with a stable cursor and an exact has_more."""

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.models import EntryConflict
from journal_sync.tests.conftest import write


def _conflicts(user: User, count: int) -> list[str]:
    """``count`` open conflicts, all detected at the same instant (the cursor's hard case)."""
    for number in range(count):
        write(user, f"entry-{number}", "server text")
        write(user, f"entry-{number}", "stale edit", device="phone", base=0)
    EntryConflict.objects.filter(user=user).update(detected_at=timezone.now())
    return [
        str(pk)
        for pk in EntryConflict.objects.filter(user=user)
        .order_by("id")
        .values_list("id", flat=True)
    ]


def _pages(client: APIClient, limit: int) -> list[dict[str, Any]]:
    pages, query = [], {"limit": limit}
    while True:
        body = client.get("/api/sync/conflicts", query).json()
        pages.append(body)
        if not body["has_more"]:
            return pages
        query = {"limit": limit, "cursor": body["next_cursor"]}


def test_pages_walk_every_open_conflict_once_in_order(laptop: APIClient, alice: User) -> None:
    expected = _conflicts(alice, 5)
    pages = _pages(laptop, limit=2)
    assert [len(page["conflicts"]) for page in pages] == [2, 2, 1]
    assert [item["id"] for page in pages for item in page["conflicts"]] == expected
    assert {page["total_count"] for page in pages} == {5}
    assert pages[-1]["next_cursor"] is None


def test_a_page_exactly_full_has_no_more(laptop: APIClient, alice: User) -> None:
    _conflicts(alice, 2)
    body = laptop.get("/api/sync/conflicts", {"limit": 2}).json()
    assert (len(body["conflicts"]), body["has_more"], body["next_cursor"]) == (2, False, None)


def test_a_conflict_resolved_between_pages_does_not_shift_the_rest(
    laptop: APIClient, alice: User
) -> None:
    expected = _conflicts(alice, 3)
    first = laptop.get("/api/sync/conflicts", {"limit": 1}).json()
    EntryConflict.objects.filter(pk=expected[0]).update(resolved_at=timezone.now())
    rest = laptop.get("/api/sync/conflicts", {"limit": 5, "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in rest["conflicts"]] == expected[1:]


@pytest.mark.parametrize("query", ["cursor=garbage", "cursor=djE6MQ", "limit=0", "limit=501"])
def test_a_bad_cursor_or_limit_is_a_400(laptop: APIClient, query: str) -> None:
    response = laptop.get(f"/api/sync/conflicts?{query}")
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_cursor", "invalid"}


def test_listing_a_page_is_a_constant_number_of_queries(
    laptop: APIClient, alice: User, django_assert_num_queries: Any
) -> None:
    _conflicts(alice, 4)
    # auth, count, sizes, page (the entry ids come joined), the remote versions (kept
    # history, then current entries), each read once
    with django_assert_num_queries(6):
        laptop.get("/api/sync/conflicts", {"limit": 3})

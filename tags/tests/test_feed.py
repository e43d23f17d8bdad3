"""Tags reach the user's other devices through the change feed shared with entries."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from changefeed.feed import feed_cursor, feed_seq_next
from tags.messages import TagMessages
from tags.models import Tag
from tags.services import tag_delete, tag_tombstones_prune, tag_touch, tag_update
from tags.tests.conftest import name_payload, opened_name

pytestmark = pytest.mark.django_db


def _pull(client: APIClient, cursor: int, limit: int = 100) -> dict[str, Any]:
    response = client.get(f"/api/tags?cursor={cursor}&limit={limit}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_every_tag_write_takes_the_next_feed_position_and_revision(
    api_alice: APIClient, alice: User
) -> None:
    created = api_alice.post("/api/tags", name_payload("Work"), format="json").json()
    again = api_alice.post("/api/tags", name_payload("work"), format="json").json()
    touched = api_alice.post(f"/api/tags/{created['id']}/touch").json()
    patched = api_alice.patch(
        f"/api/tags/{created['id']}", {"color": "#B91C1C"}, format="json"
    ).json()
    deleted = api_alice.delete(f"/api/tags/{created['id']}").json()

    steps = [created, again, touched, patched, deleted]
    assert [step["seq"] for step in steps] == [1, 2, 3, 4, 5]
    assert [step["revision"] for step in steps] == [1, 2, 3, 4, 5]
    assert feed_cursor(user=alice) == 5


def test_tag_positions_interleave_with_other_feed_writers(
    alice: User, make_tag: Callable[..., Tag]
) -> None:
    first = make_tag(alice, "Work")
    with transaction.atomic():
        entry_position = feed_seq_next(user=alice)

    second = make_tag(alice, "Home")

    assert first.seq < entry_position < second.seq


def test_a_device_pulls_creates_changes_and_deletes_in_feed_order(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    work = make_tag(alice, "Work")
    home = make_tag(alice, "Home")
    cursor = _pull(api_alice, 0)["next_cursor"]
    tag_update(user=alice, tag_id=work.pk, color="#0E7490")
    tag_delete(user=alice, tag_id=home.pk)

    body = _pull(api_alice, cursor)

    assert [(tag["id"], tag["deleted"]) for tag in body["tags"]] == [
        (str(work.pk), False),
        (str(home.pk), True),
    ]
    assert body["tags"][0]["color"] == "#0E7490"
    assert opened_name(body["tags"][0]) == "Work"
    assert body["tags"][1]["encrypted_name"] is None
    assert body["next_cursor"] == body["tags"][1]["seq"]
    assert body["has_more"] is False


def test_a_tag_changed_twice_appears_once_at_its_latest_position(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")
    tag_touch(user=alice, tag_id=tag.pk)
    latest = tag_touch(user=alice, tag_id=tag.pk)

    body = _pull(api_alice, 0)

    assert [(t["id"], t["seq"]) for t in body["tags"]] == [(str(tag.pk), latest.seq)]


def test_pages_follow_next_cursor_with_an_exact_has_more(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tags = [make_tag(alice, f"tag {n}") for n in range(5)]

    first = _pull(api_alice, 0, limit=2)
    second = _pull(api_alice, first["next_cursor"], limit=2)
    third = _pull(api_alice, second["next_cursor"], limit=1)
    empty = _pull(api_alice, third["next_cursor"], limit=1)

    pulled = [t["id"] for page in (first, second, third) for t in page["tags"]]
    assert pulled == [str(tag.pk) for tag in tags]
    assert [first["has_more"], second["has_more"], third["has_more"]] == [True, True, False]
    assert empty == {"tags": [], "next_cursor": third["next_cursor"], "has_more": False}


def test_cleanup_reaches_other_devices_as_tombstones(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Old")
    Tag.objects.filter(pk=tag.pk).update(last_used_at=timezone.now() - timedelta(days=10))
    cursor = tag.seq

    api_alice.delete("/api/tags/cleanup?days=7")

    body = _pull(api_alice, cursor)
    assert [(t["id"], t["deleted"]) for t in body["tags"]] == [(str(tag.pk), True)]


def test_feed_page_costs_a_fixed_number_of_queries(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    for n in range(20):
        make_tag(alice, f"tag {n}")

    with CaptureQueriesContext(connection) as queries:
        _pull(api_alice, 0)

    # Authentication, the page, the feed position.
    assert len(queries) == 3


def _expired_tombstone(user: User, make_tag: Callable[..., Tag], name: str) -> Tag:
    tag = tag_delete(user=user, tag_id=make_tag(user, name).pk)
    Tag.objects.filter(pk=tag.pk).update(deleted_at=timezone.now() - timedelta(days=365))
    return tag


def test_a_cursor_older_than_a_pruned_tombstone_must_resync(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    old_cursor = make_tag(alice, "Kept").seq
    pruned = _expired_tombstone(alice, make_tag, "Gone")
    tag_tombstones_prune(dry_run=False)

    response = api_alice.get(f"/api/tags?cursor={old_cursor}")

    assert response.status_code == 410
    assert response.json() == {
        "code": "resync_required",
        "detail": TagMessages.RESYNC_REQUIRED,
        "cursor_seq": old_cursor,
        "oldest_seq": pruned.seq,
    }


def test_a_cursor_at_or_past_the_pruned_tombstone_keeps_pulling(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    pruned = _expired_tombstone(alice, make_tag, "Gone")
    later = make_tag(alice, "Later")
    tag_tombstones_prune(dry_run=False)

    body = _pull(api_alice, pruned.seq)

    assert [t["id"] for t in body["tags"]] == [str(later.pk)]


def test_a_fresh_device_starting_at_zero_never_needs_to_resync(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    _expired_tombstone(alice, make_tag, "Gone")
    kept = make_tag(alice, "Kept")
    tag_tombstones_prune(dry_run=False)

    body = _pull(api_alice, 0)

    assert [t["id"] for t in body["tags"]] == [str(kept.pk)]


def test_a_cursor_from_beyond_the_feed_must_resync(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")

    response = api_alice.get(f"/api/tags?cursor={tag.seq + 1}")

    assert response.status_code == 410
    assert response.json()["code"] == "resync_required"


@pytest.mark.parametrize(
    ("query", "field"),
    [("cursor=-1", "cursor"), ("cursor=abc", "cursor"), ("cursor=0&offset=10", "offset")],
)
def test_bad_cursor_query_is_400(api_alice: APIClient, query: str, field: str) -> None:
    response = api_alice.get(f"/api/tags?{query}")

    assert response.status_code == 400
    assert field in response.json()["fields"]

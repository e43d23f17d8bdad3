from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tags.models import LIVE, Tag
from tags.services import tag_cleanup

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _last_used(tag: Tag, when: timedelta) -> None:
    Tag.objects.filter(pk=tag.pk).update(last_used_at=NOW - when)


def test_a_tag_unused_for_exactly_n_days_is_deleted(
    alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Exactly thirty days")
    _last_used(tag, timedelta(days=30))

    assert tag_cleanup(user=alice, days=30, now=NOW) == 1
    assert Tag.objects.get(pk=tag.pk).deleted


def test_a_tag_used_just_inside_n_days_is_kept(alice: User, make_tag: Callable[..., Tag]) -> None:
    tag = make_tag(alice, "Almost thirty days")
    _last_used(tag, timedelta(days=30) - timedelta(microseconds=1))

    assert tag_cleanup(user=alice, days=30, now=NOW) == 0
    assert not Tag.objects.get(pk=tag.pk).deleted


def test_cleanup_counts_only_what_it_deleted(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    for n in range(3):
        _last_used(make_tag(alice, f"stale {n}"), timedelta(days=8))
    _last_used(make_tag(alice, "fresh"), timedelta(days=6))

    response = api_alice.delete("/api/tags/cleanup?days=7")

    assert response.status_code == 200
    assert response.json() == {"deleted_count": 3}
    assert Tag.objects.filter(LIVE, user=alice).count() == 1


def test_cleaned_up_tags_become_tombstones_each_with_its_own_position(
    alice: User, make_tag: Callable[..., Tag]
) -> None:
    stale = [make_tag(alice, f"stale {n}") for n in range(3)]
    for tag in stale:
        _last_used(tag, timedelta(days=40))
    newest_before = max(tag.seq for tag in stale)

    tag_cleanup(user=alice, days=30, now=NOW)

    tombstones = Tag.objects.filter(pk__in=[tag.pk for tag in stale]).order_by("seq")
    assert [tag.seq for tag in tombstones] == [
        newest_before + 1,
        newest_before + 2,
        newest_before + 3,
    ]
    assert all(tag.deleted and tag.encrypted_name is None for tag in tombstones)
    assert all(tag.revision == 2 for tag in tombstones)


def test_one_day_is_the_shortest_window(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    _last_used(make_tag(alice, "yesterday"), timedelta(days=1, seconds=1))
    _last_used(make_tag(alice, "this morning"), timedelta(hours=6))

    response = api_alice.delete("/api/tags/cleanup?days=1")

    assert response.json() == {"deleted_count": 1}


@pytest.mark.parametrize(
    "query", ["", "?days=0", "?days=-3", "?days=abc", "?days=1.5", "?days=36501"]
)
def test_bad_days_is_400_and_deletes_nothing(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag], query: str
) -> None:
    _last_used(make_tag(alice, "stale"), timedelta(days=400))

    response = api_alice.delete(f"/api/tags/cleanup{query}")

    assert response.status_code == 400
    assert "days" in response.json()["fields"]
    assert Tag.objects.filter(LIVE, user=alice).count() == 1

"""Another user's tag does not exist for you: every endpoint answers 404 and changes nothing."""

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tags.models import Tag
from tags.tests.conftest import name_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs_tag(bob: User, make_tag: Callable[..., Tag]) -> Tag:
    return make_tag(bob, "Bob's secret", color="#4338CA")


def _unchanged(tag: Tag) -> None:
    stored = Tag.objects.get(pk=tag.pk)
    assert (stored.revision, stored.color, stored.last_used_at) == (
        tag.revision,
        tag.color,
        tag.last_used_at,
    )


def test_patch_of_another_users_tag_is_404(api_alice: APIClient, bobs_tag: Tag) -> None:
    response = api_alice.patch(f"/api/tags/{bobs_tag.pk}", {"color": "#B91C1C"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    _unchanged(bobs_tag)


def test_delete_of_another_users_tag_is_404(api_alice: APIClient, bobs_tag: Tag) -> None:
    response = api_alice.delete(f"/api/tags/{bobs_tag.pk}")

    assert response.status_code == 404
    _unchanged(bobs_tag)


def test_touch_of_another_users_tag_is_404(api_alice: APIClient, bobs_tag: Tag) -> None:
    response = api_alice.post(f"/api/tags/{bobs_tag.pk}/touch")

    assert response.status_code == 404
    _unchanged(bobs_tag)


def test_404_for_another_users_tag_matches_a_missing_one(
    api_alice: APIClient, bobs_tag: Tag
) -> None:
    theirs = api_alice.post(f"/api/tags/{bobs_tag.pk}/touch")
    missing = api_alice.post(f"/api/tags/{uuid.uuid4()}/touch")

    assert theirs.json() == missing.json()


def test_change_feed_shows_only_your_tags(
    api_alice: APIClient, alice: User, bobs_tag: Tag, make_tag: Callable[..., Tag]
) -> None:
    mine = make_tag(alice, "Mine")

    body = api_alice.get("/api/tags?cursor=0").json()

    assert [tag["id"] for tag in body["tags"]] == [str(mine.pk)]


def test_malformed_tag_id_is_404(api_alice: APIClient) -> None:
    assert api_alice.delete("/api/tags/123").status_code == 404


def test_list_shows_only_your_tags(
    api_alice: APIClient, alice: User, bobs_tag: Tag, make_tag: Callable[..., Tag]
) -> None:
    mine = make_tag(alice, "Mine")

    body = api_alice.get("/api/tags").json()

    assert [tag["id"] for tag in body["tags"]] == [str(mine.pk)]
    assert body["total_count"] == 1


def test_same_digest_as_another_user_creates_your_own_tag(
    api_alice: APIClient, bobs_tag: Tag
) -> None:
    # The same digest bytes Bob's tag holds: digests are unique per user, not globally.
    response = api_alice.post("/api/tags", name_payload("Bob's secret"), format="json")

    assert response.status_code == 201
    assert response.json()["id"] != str(bobs_tag.pk)
    _unchanged(bobs_tag)


def test_cleanup_leaves_other_users_tags_alone(api_alice: APIClient, bobs_tag: Tag) -> None:
    Tag.objects.filter(pk=bobs_tag.pk).update(last_used_at=timezone.now() - timedelta(days=90))

    response = api_alice.delete("/api/tags/cleanup?days=1")

    assert response.json() == {"deleted_count": 0}
    assert Tag.objects.filter(pk=bobs_tag.pk).exists()

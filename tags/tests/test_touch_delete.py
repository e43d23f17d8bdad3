from collections.abc import Callable
from datetime import datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tags.models import Tag

pytestmark = pytest.mark.django_db


def test_touch_moves_the_tag_to_the_front(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    older = make_tag(alice, "Older")
    make_tag(alice, "Newer")

    response = api_alice.post(f"/api/tags/{older.pk}/touch")

    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["last_used_at"]) > older.last_used_at
    assert response.json()["revision"] == 2
    assert api_alice.get("/api/tags").json()["tags"][0]["id"] == str(older.pk)


def test_delete_leaves_a_tombstone_without_the_name(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")
    kept = make_tag(alice, "Home")

    response = api_alice.delete(f"/api/tags/{tag.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["deleted"] is True
    assert body["deleted_at"] is not None
    assert (body["encrypted_name"], body["name_iv"], body["name_digest"]) == (None, None, None)
    assert body["revision"] == 2
    assert body["seq"] > kept.seq
    stored = Tag.objects.get(pk=tag.pk)
    assert (stored.encrypted_name, stored.name_iv, stored.name_digest) == (None, None, None)
    assert [t["id"] for t in api_alice.get("/api/tags").json()["tags"]] == [str(kept.pk)]


def test_repeated_delete_returns_the_same_tombstone(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")
    first = api_alice.delete(f"/api/tags/{tag.pk}").json()

    again = api_alice.delete(f"/api/tags/{tag.pk}")

    assert again.status_code == 200
    assert again.json() == first


def test_deleted_tag_can_no_longer_be_changed(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")
    api_alice.delete(f"/api/tags/{tag.pk}")

    assert api_alice.post(f"/api/tags/{tag.pk}/touch").status_code == 404
    assert (
        api_alice.patch(f"/api/tags/{tag.pk}", {"color": "#B91C1C"}, format="json").status_code
        == 404
    )


def test_a_deleted_name_can_be_created_again(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    from tags.tests.conftest import name_payload

    tag = make_tag(alice, "Work")
    api_alice.delete(f"/api/tags/{tag.pk}")

    response = api_alice.post("/api/tags", name_payload("Work"), format="json")

    assert response.status_code == 201
    assert response.json()["id"] != str(tag.pk)

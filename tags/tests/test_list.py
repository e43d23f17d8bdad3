from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tags.models import Tag
from tags.services import tag_delete
from tags.tests.conftest import opened_name

pytestmark = pytest.mark.django_db


def _used(tag: Tag, minutes_ago: int) -> None:
    Tag.objects.filter(pk=tag.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_tags_come_most_recently_used_first(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    for name, minutes_ago in (("old", 30), ("newest", 1), ("middle", 10)):
        _used(make_tag(alice, name), minutes_ago)

    body = api_alice.get("/api/tags").json()

    assert [opened_name(tag) for tag in body["tags"]] == ["newest", "middle", "old"]
    assert body["total_count"] == 3
    assert body["has_more"] is False


def test_pages_are_exact(api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]) -> None:
    for n in range(5):
        _used(make_tag(alice, f"tag {n}"), minutes_ago=n)

    first = api_alice.get("/api/tags?limit=2").json()
    second = api_alice.get("/api/tags?limit=2&offset=2").json()
    last = api_alice.get("/api/tags?limit=1&offset=4").json()

    assert [opened_name(t) for t in first["tags"] + second["tags"]] == [
        "tag 0",
        "tag 1",
        "tag 2",
        "tag 3",
    ]
    assert first["has_more"] is True
    assert second["has_more"] is True
    assert [opened_name(t) for t in last["tags"]] == ["tag 4"]
    assert last["has_more"] is False


def test_a_page_exactly_full_has_no_more(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    for n in range(3):
        make_tag(alice, f"tag {n}")

    body = api_alice.get("/api/tags?limit=3").json()

    assert len(body["tags"]) == 3
    assert body["has_more"] is False


def test_deleted_tags_are_not_listed(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    kept = make_tag(alice, "kept")
    tag_delete(user=alice, tag_id=make_tag(alice, "gone").pk)

    body = api_alice.get("/api/tags").json()

    assert [tag["id"] for tag in body["tags"]] == [str(kept.pk)]
    assert body["total_count"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "limit=x",
        "offset=-1",
        # Past PostgreSQL's bigint: refused, not a database error.
        "offset=19122499152753911894787489792",
        "cursor=9223372036854775808",
    ],
)
def test_bad_paging_is_400(api_alice: APIClient, query: str) -> None:
    response = api_alice.get(f"/api/tags?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_list_costs_a_fixed_number_of_queries(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    for n in range(20):
        make_tag(alice, f"tag {n}")

    with CaptureQueriesContext(connection) as queries:
        response = api_alice.get("/api/tags")

    assert response.status_code == 200
    # Authentication, the page and the count, however many tags there are.
    assert len(queries) == 3

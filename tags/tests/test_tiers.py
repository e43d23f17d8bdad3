"""Tags exist only on full_sync: other tiers are refused, and a downgrade purges every tag."""

from collections.abc import Callable

import pytest
from django.db import transaction

from accounts.models import User
from accounts.tiers import PrivacyTier
from changefeed.feed import feed_position
from reflective.lib.user_data import user_data
from tags.models import Tag
from tags.services import tag_create, tag_delete
from tags.tests.conftest import b64, name_payload, sealed_name

pytestmark = pytest.mark.django_db

TAG_ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/tags", None),
        ("get", "/api/tags?cursor=0", None),
        ("post", "/api/tags", name_payload("Sleep")),
        ("patch", f"/api/tags/{TAG_ID}", {"color": "#B91C1C"}),
        ("delete", f"/api/tags/{TAG_ID}", None),
        ("post", f"/api/tags/{TAG_ID}/touch", None),
        ("delete", "/api/tags/cleanup?days=3", None),
    ],
)
@pytest.mark.parametrize("tier", [PrivacyTier.LOCAL_ONLY, PrivacyTier.ANALYTICS_SYNC])
def test_every_endpoint_needs_full_sync(
    make_user: Callable[..., User], tier: str, method: str, path: str, body: object
) -> None:
    from conftest import client_for

    client = client_for(make_user("dana@example.com", tier))

    response = getattr(client, method)(path, body, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "tier_required"
    assert response.json()["required_tier"] == PrivacyTier.FULL_SYNC
    assert not Tag.objects.exists()


def _purge(user: User, tier: str) -> dict[str, int]:
    with transaction.atomic():
        return user_data.purge(user, tier)


def test_downgrade_below_full_sync_deletes_every_tag_and_tombstone(
    alice: User, bob: User, make_tag: Callable[..., Tag]
) -> None:
    make_tag(alice, "Work")
    gone = make_tag(alice, "Home")
    tag_delete(user=alice, tag_id=gone.pk)
    make_tag(bob, "Bob's")

    counts = _purge(alice, PrivacyTier.ANALYTICS_SYNC)

    assert counts["deleted_tags"] == 2
    assert not Tag.objects.filter(user=alice).exists()
    assert Tag.objects.filter(user=bob).count() == 1


def test_devices_that_come_back_after_a_purge_must_resync(
    alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")
    cursor_before_purge = tag.seq
    make_tag(alice, "Home")

    _purge(alice, PrivacyTier.LOCAL_ONLY)

    assert feed_position(user=alice).pruned_seq == cursor_before_purge + 1


def test_staying_on_full_sync_deletes_nothing(alice: User, make_tag: Callable[..., Tag]) -> None:
    make_tag(alice, "Work")

    counts = _purge(alice, PrivacyTier.FULL_SYNC)

    assert counts["deleted_tags"] == 0
    assert Tag.objects.filter(user=alice).count() == 1


def test_export_holds_every_tag_with_its_ciphertext(
    alice: User, bob: User, make_tag: Callable[..., Tag]
) -> None:
    sealed = sealed_name("Work")
    tag = tag_create(user=alice, **sealed, color="#0369A1").tag
    gone = make_tag(alice, "Gone")
    tag_delete(user=alice, tag_id=gone.pk)
    make_tag(bob, "Bob's")

    rows = list(dict(user_data.export_sections(alice))["tags"])

    assert [row["id"] for row in rows] == [str(tag.pk), str(gone.pk)]
    assert rows[0]["encrypted_name"] == b64(sealed["encrypted_name"])
    assert rows[0]["name_iv"] == b64(sealed["name_iv"])
    assert rows[0]["name_digest"] == b64(sealed["name_digest"])
    assert rows[0]["color"] == "#0369A1"
    assert rows[0]["deleted_at"] is None
    assert rows[1]["encrypted_name"] is None
    assert rows[1]["deleted_at"] is not None


def test_stats_count_the_users_live_tags(
    alice: User, bob: User, make_tag: Callable[..., Tag]
) -> None:
    make_tag(alice, "Work")
    make_tag(alice, "Home")
    tag_delete(user=alice, tag_id=make_tag(alice, "Gone").pk)
    make_tag(bob, "Bob's")

    assert user_data.stats(alice)["tag_count"] == 2

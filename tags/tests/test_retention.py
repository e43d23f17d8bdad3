"""Operator retention: stale tags (tier_cleanup --tag-days) and expired tag tombstones."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from accounts.tiers import PrivacyTier
from changefeed.feed import feed_position
from tags.models import LIVE, Tag
from tags.services import tag_delete, tag_tombstones_prune, tags_prune_stale

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _last_used(tag: Tag, ago: timedelta) -> Tag:
    Tag.objects.filter(pk=tag.pk).update(last_used_at=NOW - ago)
    return tag


def test_stale_tags_of_every_user_become_tombstones(
    alice: User, bob: User, make_tag: Callable[..., Tag]
) -> None:
    stale = [
        _last_used(make_tag(alice, "alice old"), timedelta(days=60)),
        _last_used(make_tag(bob, "bob old"), timedelta(days=60, seconds=1)),
    ]
    fresh = _last_used(make_tag(alice, "alice fresh"), timedelta(days=59, hours=23))

    assert tags_prune_stale(days=60, dry_run=False, now=NOW) == 2
    assert all(Tag.objects.get(pk=tag.pk).deleted for tag in stale)
    assert not Tag.objects.get(pk=fresh.pk).deleted
    assert feed_position(user=bob).last_seq == Tag.objects.get(pk=stale[1].pk).seq


def test_dry_run_counts_and_changes_nothing(alice: User, make_tag: Callable[..., Tag]) -> None:
    _last_used(make_tag(alice, "old"), timedelta(days=90))

    assert tags_prune_stale(days=30, dry_run=True, now=NOW) == 1
    assert Tag.objects.filter(LIVE).count() == 1


def test_tags_left_on_a_lower_tier_are_not_the_stale_pruners_business(
    alice: User, make_tag: Callable[..., Tag]
) -> None:
    _last_used(make_tag(alice, "old"), timedelta(days=90))
    User.objects.filter(pk=alice.pk).update(privacy_tier=PrivacyTier.ANALYTICS_SYNC)

    assert tags_prune_stale(days=30, dry_run=False, now=NOW) == 0
    assert tags_prune_stale(days=30, dry_run=True, now=NOW) == 0


def _deleted(user: User, make_tag: Callable[..., Tag], name: str, ago: timedelta) -> Tag:
    tag = tag_delete(user=user, tag_id=make_tag(user, name).pk)
    Tag.objects.filter(pk=tag.pk).update(deleted_at=NOW - ago)
    return tag


@override_settings(SYNC_TOMBSTONE_RETENTION_DAYS=30)
def test_tombstones_past_retention_are_removed_and_the_watermark_raised(
    alice: User, bob: User, make_tag: Callable[..., Tag]
) -> None:
    expired = _deleted(alice, make_tag, "expired", timedelta(days=30))
    kept = _deleted(alice, make_tag, "recent", timedelta(days=29, hours=23))
    bobs = _deleted(bob, make_tag, "bob expired", timedelta(days=31))
    live = make_tag(alice, "live")

    assert tag_tombstones_prune(dry_run=True, now=NOW) == 2
    assert tag_tombstones_prune(dry_run=False, now=NOW) == 2

    remaining = set(Tag.objects.values_list("pk", flat=True))
    assert remaining == {kept.pk, live.pk}
    assert feed_position(user=alice).pruned_seq == expired.seq
    assert feed_position(user=bob).pruned_seq == bobs.seq

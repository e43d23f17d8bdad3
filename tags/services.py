"""Tag writes. Each one is a write to the user's change feed.

Every write runs in one transaction that first share-locks the user's tier (a downgrade
waits for it, then purges; a write starting after a downgrade gets 403 ``tier_required``)
and then locks the user's feed row. The feed lock serializes all of the user's synced
writes, so each tag write takes the next feed positions in commit order and no device
reading ``seq > cursor`` can miss it.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.quotas import storage_check
from accounts.tiers import PrivacyTier, TierRequiredError, tier_allows
from changefeed.feed import FeedWriter, feed_watermark_raise, feed_write_open
from reflective.errors import ApiError
from reflective.lib.quotas import Quota, quota_check
from tags.colors import color_normalize, color_random
from tags.messages import TagMessages
from tags.models import LIVE, Tag


@dataclass(frozen=True)
class TagCreation:
    tag: Tag
    created: bool


class _TagWriter:
    """One tag write transaction: the feed's writer (after the tier lock) and its moment."""

    def __init__(self, user: User) -> None:
        self.feed: FeedWriter = feed_write_open(user=user, required_tier=PrivacyTier.FULL_SYNC)
        self.now = timezone.now()

    def stamp(self, tag: Tag) -> Tag:
        """Mark one write of ``tag``: a new revision at the next feed position."""
        tag.seq = self.feed.take()
        tag.revision += 1
        tag.updated_at = self.now
        return tag

    def commit_positions(self) -> None:
        self.feed.settle()


def _not_found() -> ApiError:
    return ApiError("not_found", TagMessages.NOT_FOUND, status=404)


def _user_tag(user: User, tag_id: uuid.UUID, *, live: bool = True) -> Tag:
    """The user's tag; another user's tag is indistinguishable from none."""
    tags = Tag.objects.filter(user=user, pk=tag_id)
    tag = (tags.filter(LIVE) if live else tags).first()
    if tag is None:
        raise _not_found()
    return tag


def _touch(writer: _TagWriter, tag: Tag) -> Tag:
    tag.last_used_at = writer.now
    writer.stamp(tag).save(update_fields=["last_used_at", "revision", "seq", "updated_at"])
    writer.commit_positions()
    return tag


def _live_with_digest(user: User, name_digest: bytes) -> QuerySet[Tag]:
    return Tag.objects.filter(LIVE, user=user, name_digest=name_digest)


def tag_create(
    *,
    user: User,
    encrypted_name: bytes,
    name_iv: bytes,
    name_digest: bytes,
    color: str | None = None,
) -> TagCreation:
    """Create a tag, or touch the user's live tag that already has ``name_digest``.

    Invariant: a user never holds two live tags with the same digest, even when devices
    create the same tag at the same moment; every caller gets the one tag that exists. The
    feed lock makes a racing create wait for the first to commit, so its lookup then finds
    the tag; the partial unique index guarantees it regardless.
    """
    with transaction.atomic():
        writer = _TagWriter(user)
        existing = _live_with_digest(user, name_digest).first()
        if existing is not None:
            return TagCreation(tag=_touch(writer, existing), created=False)
        _tag_quotas_check(user, len(encrypted_name) + len(name_iv) + len(name_digest))
        tag = Tag(
            user=user,
            encrypted_name=encrypted_name,
            name_iv=name_iv,
            name_digest=name_digest,
            color=color_normalize(color) if color else color_random(),
            created_at=writer.now,
            last_used_at=writer.now,
            revision=0,
        )
        writer.stamp(tag).save(force_insert=True)
        writer.commit_positions()
        return TagCreation(tag=tag, created=True)


def _tag_quotas_check(user: User, size: int) -> None:
    """A new tag needs room under QUOTA_TAGS (live tags) and the storage quota."""
    quota_check(Quota.TAGS, used=Tag.objects.filter(LIVE, user=user).count(), adding=1)
    storage_check(user, adding=size)


def _check_base_revision(tag: Tag, base_revision: int | None) -> None:
    if base_revision is not None and base_revision != tag.revision:
        raise ApiError(
            "revision_mismatch",
            TagMessages.REVISION_MISMATCH.format(base=base_revision, current=tag.revision),
            status=409,
            extra={"current_revision": tag.revision},
        )


def _check_digest_free(user: User, tag: Tag, name_digest: bytes) -> None:
    other = _live_with_digest(user, name_digest).exclude(pk=tag.pk).first()
    if other is not None:
        raise ApiError(
            "tag_exists", TagMessages.DIGEST_TAKEN, status=409, extra={"existing_id": str(other.pk)}
        )


def tag_update(
    *,
    user: User,
    tag_id: uuid.UUID,
    color: str | None = None,
    encrypted_name: bytes | None = None,
    name_iv: bytes | None = None,
    name_digest: bytes | None = None,
    base_revision: int | None = None,
) -> Tag:
    """Recolor a tag or replace its encrypted name (a rename or a re-encryption).

    Invariant: a rename never gives two of the user's live tags the same digest (409
    ``tag_exists`` names the other one), and with ``base_revision`` a stale edit is refused.
    """
    with transaction.atomic():
        writer = _TagWriter(user)
        tag = _user_tag(user, tag_id)
        _check_base_revision(tag, base_revision)
        if name_digest is not None:
            _check_digest_free(user, tag, name_digest)
            tag.name_digest = name_digest
        if encrypted_name is not None and name_iv is not None:
            tag.encrypted_name = encrypted_name
            tag.name_iv = name_iv
        if color is not None:
            tag.color = color_normalize(color)
        writer.stamp(tag).save()
        writer.commit_positions()
        return tag


def tag_touch(*, user: User, tag_id: uuid.UUID) -> Tag:
    """Mark a tag as just used (it moves to the front of the list and escapes cleanup)."""
    with transaction.atomic():
        writer = _TagWriter(user)
        return _touch(writer, _user_tag(user, tag_id))


def _tombstoned(writer: _TagWriter, tag: Tag) -> Tag:
    tag.encrypted_name = tag.name_iv = tag.name_digest = None
    tag.deleted_at = writer.now
    return writer.stamp(tag)


TOMBSTONE_FIELDS = ["encrypted_name", "name_iv", "name_digest", "deleted_at"]
STAMP_FIELDS = ["revision", "seq", "updated_at"]


def tag_delete(*, user: User, tag_id: uuid.UUID) -> Tag:
    """Delete a tag: its name is erased at once and a tombstone tells the other devices.

    Deleting a tombstone again returns it unchanged, so a retried delete is harmless.
    """
    with transaction.atomic():
        writer = _TagWriter(user)
        tag = _user_tag(user, tag_id, live=False)
        if tag.deleted:
            writer.commit_positions()  # hands back the unused position
            return tag
        _tombstoned(writer, tag).save(update_fields=TOMBSTONE_FIELDS + STAMP_FIELDS)
        writer.commit_positions()
        return tag


def _stale(cutoff: datetime) -> QuerySet[Tag]:
    return Tag.objects.filter(LIVE, last_used_at__lte=cutoff)


def _tombstone_all(writer: _TagWriter, tags: Iterable[Tag]) -> int:
    doomed = [_tombstoned(writer, tag) for tag in tags]
    Tag.objects.bulk_update(doomed, TOMBSTONE_FIELDS + STAMP_FIELDS, batch_size=500)
    writer.commit_positions()
    return len(doomed)


def tag_cleanup(*, user: User, days: int, now: datetime | None = None) -> int:
    """Delete the user's tags not used for ``days`` days or more; returns how many.

    Each one becomes a tombstone with its own feed position, like a single delete.
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        writer = _TagWriter(user)
        stale = _stale(cutoff).filter(user=user).order_by("last_used_at", "id")
        return _tombstone_all(writer, stale)


def tags_prune_stale(*, days: int, dry_run: bool, now: datetime | None = None) -> int:
    """Operator retention: delete every user's tags unused for ``days`` days or more.

    Runs ``tag_cleanup`` per user, so each user's devices learn of it through their feed.
    Only full_sync users can hold tags; anything left on a lower tier is the tier purge's
    to remove. With ``dry_run`` nothing changes and the count is what would be deleted.
    """
    now = now or timezone.now()
    stale = _stale(now - timedelta(days=days)).filter(user__privacy_tier=PrivacyTier.FULL_SYNC)
    if dry_run:
        return stale.count()
    deleted = 0
    for user in User.objects.filter(pk__in=stale.values("user_id")).order_by("pk"):
        try:
            deleted += tag_cleanup(user=user, days=days, now=now)
        except TierRequiredError:
            # The user left full_sync since the query: the downgrade purged the tags.
            continue
    return deleted


def _hard_delete(tags: QuerySet[Tag], user_id: uuid.UUID) -> int:
    highest = tags.aggregate(highest=Max("seq"))["highest"]
    deleted, _ = tags.delete()
    if highest is not None:
        feed_watermark_raise(user_id=user_id, seq=highest)
    return deleted


def tag_tombstones_prune(*, dry_run: bool, now: datetime | None = None) -> int:
    """Retention: hard-delete tag tombstones older than SYNC_TOMBSTONE_RETENTION_DAYS.

    Invariant: a device whose cursor predates a pruned tombstone gets 410
    ``resync_required`` instead of silently keeping a deleted tag.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.SYNC_TOMBSTONE_RETENTION_DAYS)
    expired = Tag.objects.filter(deleted_at__lte=cutoff)
    if dry_run:
        return expired.count()
    deleted = 0
    for user_id in expired.values_list("user_id", flat=True).distinct().order_by("user_id"):
        with transaction.atomic():
            deleted += _hard_delete(expired.filter(user_id=user_id), user_id)
    return deleted


def tags_purge(user: AbstractBaseUser, tier: str) -> dict[str, int]:
    """Tier purger: below full_sync the server keeps no tag row of the user, tombstones too.

    Runs inside the tier change, which holds the user row exclusively: no tag write is
    in flight. The watermark makes devices that come back later resync their tags.
    """
    if tier_allows(tier, PrivacyTier.FULL_SYNC):
        return {"deleted_tags": 0}
    return {"deleted_tags": _hard_delete(Tag.objects.filter(user_id=user.pk), user.pk)}

"""Tag reads: every query starts from the requesting user.

The views guard the tier (``accounts.permissions.FullSyncTier``): below full_sync the
server keeps no tags, and a 403 says so better than an empty list.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet, Sum
from django.db.models.functions import Length

from accounts.models import User
from changefeed.feed import feed_cursor_check, feed_position
from reflective.lib.b64 import b64encode
from tags.messages import TagMessages
from tags.models import LIVE, Tag


@dataclass(frozen=True)
class TagPage:
    tags: list[Tag]
    total_count: int
    has_more: bool


@dataclass(frozen=True)
class TagChanges:
    tags: list[Tag]
    next_cursor: int
    has_more: bool


def _live_tags(user: User) -> QuerySet[Tag]:
    return Tag.objects.filter(LIVE, user=user)


def tag_list(*, user: User, limit: int, offset: int) -> TagPage:
    """The user's live tags, most recently used first; ``has_more`` is exact (limit + 1)."""
    ordered = _live_tags(user).order_by("-last_used_at", "id")
    rows = list(ordered[offset : offset + limit + 1])
    return TagPage(
        tags=rows[:limit], total_count=_live_tags(user).count(), has_more=len(rows) > limit
    )


def tag_changes_since(*, user: User, cursor: int, limit: int) -> TagChanges:
    """Tag writes after feed position ``cursor``, tombstones included, in feed order.

    Invariant: a device that keeps pulling from ``next_cursor`` sees every tag write and
    delete. Writes take their positions under the feed lock in commit order, so nothing can
    commit later below a position already read; a cursor older than a pruned tombstone (or
    newer than the feed, after a restore from backup) is refused with 410.
    """
    rows = list(Tag.objects.filter(user=user, seq__gt=cursor).order_by("seq")[: limit + 1])
    # Read after the rows: a prune that commits in between is caught here, not missed.
    position = feed_position(user=user)
    feed_cursor_check(cursor=cursor, position=position, detail=TagMessages.RESYNC_REQUIRED)
    page = rows[:limit]
    return TagChanges(
        tags=page, next_cursor=page[-1].seq if page else cursor, has_more=len(rows) > limit
    )


def tag_export_row(tag: Tag) -> dict[str, Any]:
    return {
        "id": str(tag.pk),
        "encrypted_name": b64encode(tag.encrypted_name),
        "name_iv": b64encode(tag.name_iv),
        "name_digest": b64encode(tag.name_digest),
        "color": tag.color,
        "created_at": tag.created_at.isoformat(),
        "last_used_at": tag.last_used_at.isoformat(),
        "updated_at": tag.updated_at.isoformat(),
        "deleted_at": tag.deleted_at.isoformat() if tag.deleted_at else None,
        "revision": tag.revision,
        "seq": tag.seq,
    }


def tags_export(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    """Every stored tag row of the user (tombstones too), ciphertext as base64, in feed order."""
    for tag in Tag.objects.filter(user_id=user.pk).order_by("seq").iterator():
        yield tag_export_row(tag)


def tags_stats(user: AbstractBaseUser) -> dict[str, Any]:
    return {"tag_count": Tag.objects.filter(LIVE, user_id=user.pk).count()}


def tags_usage(user: AbstractBaseUser) -> dict[str, int]:
    return {"tags": Tag.objects.filter(LIVE, user_id=user.pk).count()}


def tag_storage_bytes(user: AbstractBaseUser) -> int:
    parts = [Length(name) for name in ("encrypted_name", "name_iv", "name_digest")]
    sizes = Tag.objects.filter(user_id=user.pk).aggregate(
        **{f"size{index}": Sum(part) for index, part in enumerate(parts)}
    )
    return sum(int(size or 0) for size in sizes.values())

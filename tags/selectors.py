"""Tag reads: every query starts from the requesting user."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from accounts.locks import TierMessages
from accounts.models import User
from accounts.tiers import PrivacyTier, tier_allows
from reflective.errors import ApiError
from reflective.lib.fields import b64encode
from tags.models import Tag


@dataclass(frozen=True)
class TagPage:
    tags: list[Tag]
    total_count: int
    has_more: bool


def tags_readable_check(*, user: User) -> None:
    """Reads need full_sync too: lower tiers keep no tags, and saying so beats an empty list."""
    if not tier_allows(user.privacy_tier, PrivacyTier.FULL_SYNC):
        raise ApiError(
            "tier_required",
            TierMessages.TIER_REQUIRED.format(
                tier=PrivacyTier.FULL_SYNC, current=user.privacy_tier
            ),
            status=403,
            extra={"required_tier": PrivacyTier.FULL_SYNC, "current_tier": user.privacy_tier},
        )


def _user_tags(user: User) -> QuerySet[Tag]:
    return Tag.objects.filter(user=user)


def tag_list(*, user: User, limit: int, offset: int) -> TagPage:
    """The user's tags, most recently used first; ``has_more`` is exact (one row past the page)."""
    tags_readable_check(user=user)
    ordered = _user_tags(user).order_by("-last_used_at", "id")
    rows = list(ordered[offset : offset + limit + 1])
    return TagPage(
        tags=rows[:limit], total_count=_user_tags(user).count(), has_more=len(rows) > limit
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
        "revision": tag.revision,
    }


def tags_export(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    """Every stored tag row of the user, ciphertext as base64, for the account export."""
    for tag in Tag.objects.filter(user_id=user.pk).order_by("created_at", "id").iterator():
        yield tag_export_row(tag)


def tags_stats(user: AbstractBaseUser) -> dict[str, Any]:
    return {"tag_count": Tag.objects.filter(user_id=user.pk).count()}

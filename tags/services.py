"""Tag writes. Every one runs in a transaction that first share-locks the user's tier.

The tier lock makes a downgrade wait for in-flight tag writes and then purge them, and
refuses any tag write that starts after it (403 ``tier_required``).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.tiers import PrivacyTier, tier_allows
from reflective.errors import ApiError
from tags.colors import color_normalize, color_random
from tags.messages import TagMessages
from tags.models import Tag


@dataclass(frozen=True)
class TagCreation:
    tag: Tag
    created: bool


def _not_found() -> ApiError:
    return ApiError("not_found", TagMessages.NOT_FOUND, status=404)


def _locked_tag(user: User, tag_id: uuid.UUID) -> Tag:
    """The user's tag, row-locked; another user's tag is indistinguishable from none."""
    tag = Tag.objects.select_for_update().filter(user=user, pk=tag_id).first()
    if tag is None:
        raise _not_found()
    return tag


def _stamp(tag: Tag, now: datetime) -> None:
    """Mark a write: every change of a tag is a new revision."""
    tag.revision += 1
    tag.updated_at = now


def _touched(tag: Tag, now: datetime) -> Tag:
    tag.last_used_at = now
    _stamp(tag, now)
    tag.save(update_fields=["last_used_at", "revision", "updated_at"])
    return tag


def tag_create(
    *,
    user: User,
    encrypted_name: bytes,
    name_iv: bytes,
    name_digest: bytes,
    color: str | None = None,
) -> TagCreation:
    """Create a tag, or touch the user's tag that already has ``name_digest``.

    Invariant: a user never holds two tags with the same digest, even when devices create
    the same tag at the same moment; every caller gets the one tag that exists.
    """
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.FULL_SYNC)
        now = timezone.now()
        existing = Tag.objects.select_for_update().filter(user=user, name_digest=name_digest)
        tag = existing.first()
        if tag is not None:
            return TagCreation(tag=_touched(tag, now), created=False)
        try:
            # A savepoint: losing the race to a concurrent create must not abort the transaction.
            with transaction.atomic():
                tag = Tag.objects.create(
                    user=user,
                    encrypted_name=encrypted_name,
                    name_iv=name_iv,
                    name_digest=name_digest,
                    color=color_normalize(color) if color else color_random(),
                    created_at=now,
                    last_used_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            # The unique index made us wait for the winner to commit; its row is visible now.
            return TagCreation(tag=_touched(existing.get(), now), created=False)
        return TagCreation(tag=tag, created=True)


def _check_base_revision(tag: Tag, base_revision: int | None) -> None:
    if base_revision is not None and base_revision != tag.revision:
        raise ApiError(
            "revision_mismatch",
            TagMessages.REVISION_MISMATCH.format(base=base_revision, current=tag.revision),
            status=409,
            extra={"current_revision": tag.revision},
        )


def _check_digest_free(user: User, tag: Tag, name_digest: bytes) -> None:
    other = Tag.objects.filter(user=user, name_digest=name_digest).exclude(pk=tag.pk).first()
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

    Invariant: a rename never gives two of the user's tags the same digest (409
    ``tag_exists`` names the other one), and with ``base_revision`` a stale edit is refused.
    """
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.FULL_SYNC)
        tag = _locked_tag(user, tag_id)
        _check_base_revision(tag, base_revision)
        if name_digest is not None:
            _check_digest_free(user, tag, name_digest)
            tag.name_digest = name_digest
        if encrypted_name is not None and name_iv is not None:
            tag.encrypted_name = encrypted_name
            tag.name_iv = name_iv
        if color is not None:
            tag.color = color_normalize(color)
        _stamp(tag, timezone.now())
        tag.save()
        return tag


def tag_touch(*, user: User, tag_id: uuid.UUID) -> Tag:
    """Mark a tag as just used (it moves to the front of the list and escapes cleanup)."""
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.FULL_SYNC)
        return _touched(_locked_tag(user, tag_id), timezone.now())


def tag_delete(*, user: User, tag_id: uuid.UUID) -> None:
    """Delete one of the user's tags."""
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.FULL_SYNC)
        _locked_tag(user, tag_id).delete()


def _stale(user: User | None, cutoff: datetime) -> models.QuerySet[Tag]:
    tags = Tag.objects.filter(last_used_at__lte=cutoff)
    return tags if user is None else tags.filter(user=user)


def tag_cleanup(*, user: User, days: int, now: datetime | None = None) -> int:
    """Delete the user's tags not used for ``days`` days or more; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.FULL_SYNC)
        deleted, _ = _stale(user, cutoff).delete()
        return deleted


def tags_prune_stale(*, days: int, dry_run: bool, now: datetime | None = None) -> int:
    """Operator retention: delete every user's tags unused for ``days`` days or more.

    With ``dry_run`` nothing changes and the count is what would be deleted.
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    if dry_run:
        return _stale(None, cutoff).count()
    with transaction.atomic():
        deleted, _ = _stale(None, cutoff).delete()
        return deleted


def tags_purge(user: AbstractBaseUser, tier: str) -> dict[str, int]:
    """Tier purger: below full_sync the server keeps no tag of the user at all."""
    if tier_allows(tier, PrivacyTier.FULL_SYNC):
        return {"deleted_tags": 0}
    deleted, _ = Tag.objects.filter(user_id=user.pk).delete()
    return {"deleted_tags": deleted}

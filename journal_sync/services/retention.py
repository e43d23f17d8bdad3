"""Retention: the user's wipe, the tier purge, and the operator's prune."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.tiers import PrivacyTier, tier_allows
from changefeed.feed import feed_forget_all, feed_lock, feed_watermark_raise
from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from reflective.lib.db.entries import history_overflow_ids, user_rows_delete

PURGE_KINDS = ("entries", "revisions", "conflicts", "backups")


def _sync_data_delete(user: User) -> dict[str, int]:
    """Delete every entry, revision and conflict of ``user`` and invalidate old cursors."""
    # Devices learn of these deletions through 410 resync_required, not tombstones.
    feed_forget_all(user=user)
    # Children first: a plain DELETE of the entries does not cascade.
    conflicts = user_rows_delete(EntryConflict, user.pk)
    revisions = user_rows_delete(EntryRevision, user.pk)
    entries = user_rows_delete(EncryptedEntry, user.pk)
    return {
        "deleted_entries": entries,
        "deleted_revisions": revisions,
        "deleted_conflicts": conflicts,
        "deleted_backups": entries,
    }


def entries_wipe(*, user: User) -> dict[str, int]:
    """DELETE /sync/backup/content: every entry, revision and conflict, in one transaction.

    Allowed on any tier (deleting is always allowed); every device holding a cursor is
    told to resync.
    """
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.LOCAL_ONLY)
        return _sync_data_delete(user)


def sync_data_purge(user: AbstractBaseUser, tier: str) -> dict[str, int]:
    """The tier-change purger: below full_sync nothing of encrypted sync may remain.

    Runs inside the tier change's transaction, which holds the user's exclusive lock.
    """
    if tier_allows(tier, PrivacyTier.FULL_SYNC):
        return {f"deleted_{kind}": 0 for kind in PURGE_KINDS}
    assert isinstance(user, User)
    return _sync_data_delete(user)


def sync_prune(*, now: datetime, dry_run: bool = False) -> dict[str, int]:
    """Prune what retention no longer keeps; with ``dry_run`` only count it.

    Tombstones older than SYNC_TOMBSTONE_RETENTION_DAYS go with their history and
    conflicts, and each such user's prune watermark rises to the newest pruned position,
    so a device whose cursor is older gets 410 ``resync_required`` instead of silently
    missing a delete. History beyond SYNC_REVISIONS_KEPT (after the setting was lowered)
    goes too.
    """
    cutoff = now - timedelta(days=int(settings.SYNC_TOMBSTONE_RETENTION_DAYS))
    counts = {"pruned_tombstones": 0, "pruned_revisions": 0, "pruned_conflicts": 0}
    old = EncryptedEntry.objects.filter(deleted=True, stored_at__lt=cutoff)
    for user_id in old.order_by().values_list("user_id", flat=True).distinct():
        for name, count in _tombstones_prune(user_id, cutoff, dry_run=dry_run).items():
            counts[name] += count
    counts["pruned_revisions"] += _history_overflow_prune(dry_run=dry_run)
    return counts


def _tombstones_prune(user_id: Any, cutoff: datetime, *, dry_run: bool) -> dict[str, int]:
    with transaction.atomic():
        # Held until commit: no push of this user runs between the count and the delete.
        feed_lock(user=User(pk=user_id))
        tombstones = EncryptedEntry.objects.filter(
            user_id=user_id, deleted=True, stored_at__lt=cutoff
        )
        newest = tombstones.aggregate(newest=Max("seq"))["newest"]
        if newest is None:
            return {}
        revisions = EntryRevision.objects.filter(entry__in=tombstones)
        conflicts = EntryConflict.objects.filter(entry__in=tombstones)
        counts = {
            "pruned_tombstones": tombstones.count(),
            "pruned_revisions": revisions.count(),
            "pruned_conflicts": conflicts.count(),
        }
        if not dry_run:
            conflicts.delete()
            revisions.delete()
            tombstones.delete()
            feed_watermark_raise(user_id=user_id, seq=newest)
        return counts


def _history_overflow_prune(*, dry_run: bool) -> int:
    overflow = history_overflow_ids(EntryRevision, EntryConflict, int(settings.SYNC_REVISIONS_KEPT))
    if overflow and not dry_run:
        EntryRevision.objects.filter(pk__in=overflow).delete()
    return len(overflow)

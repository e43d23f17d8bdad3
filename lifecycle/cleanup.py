"""Operator retention run: the safety net behind tier purges and every retention rule."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import MailToken, User
from journal_sync.services.retention import sync_prune
from reflective.lib.user_data import user_data
from tags.services import tag_tombstones_prune, tags_prune_stale


def _tier_purge_all(*, dry_run: bool) -> dict[str, int]:
    """Delete whatever each user's tier no longer allows (a dry run rolls back)."""
    totals: dict[str, int] = {}
    for user in User.objects.iterator():
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            for name, count in user_data.purge(locked, locked.privacy_tier).items():
                totals[name] = totals.get(name, 0) + count
            if dry_run:
                transaction.set_rollback(True)
    return totals


def tier_cleanup(
    *, tag_days: int | None, dry_run: bool, now: datetime | None = None
) -> dict[str, int]:
    """Run every retention rule; returns counts per kind (what would go, with ``dry_run``)."""
    now = now or timezone.now()
    counts = _tier_purge_all(dry_run=dry_run)
    for name, count in sync_prune(now=now, dry_run=dry_run).items():
        counts[f"pruned_{name}"] = count
    counts["pruned_tag_tombstones"] = tag_tombstones_prune(dry_run=dry_run, now=now)
    if tag_days is not None:
        counts["deleted_stale_tags"] = tags_prune_stale(days=tag_days, dry_run=dry_run, now=now)
    expired = OutstandingToken.objects.filter(expires_at__lt=now)
    counts["expired_tokens"] = expired.count() if dry_run else expired.delete()[0]
    # Reset and email-change links: used or expired ones are only hashes, of no use to keep.
    spent = MailToken.objects.filter(Q(expires_at__lt=now) | Q(used_at__isnull=False))
    counts["spent_mail_tokens"] = spent.count() if dry_run else spent.delete()[0]
    return counts

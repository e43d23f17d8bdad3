"""Deleting metrics: by journal entry, all of them, and the purge below the analytics tier."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.tiers import PrivacyTier, tier_allows
from analytics.models import EncryptedMetric, MetricRollup, MetricSeries, PublicContext
from analytics.services.rollups import metric_removals, rollups_apply


def metrics_delete(*, user: User, log_ids: list[str], metric_type: str | None = None) -> int:
    """Delete the user's metrics with these log_ids (every key epoch); returns how many.

    Invariant: rollups are updated in the same transaction, so they keep equalling the sums
    of the remaining metrics.
    """
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.ANALYTICS_SYNC)
        doomed = EncryptedMetric.objects.filter(user_id=user.pk, log_id__in=log_ids)
        if metric_type is not None:
            doomed = doomed.filter(series__metric_type=metric_type)
        series_ids = sorted(set(doomed.values_list("series_id", flat=True)))
        deleted = 0
        for series in (
            MetricSeries.objects.select_for_update()
            .with_epoch()
            .filter(user_id=user.pk, id__in=series_ids)
            .order_by("id")
        ):
            rows = doomed.filter(series=series)
            removals = metric_removals(list(rows.values_list("id", "timestamp")))
            deleted += rows.delete()[0]
            rollups_apply(series=series, changes=removals)
        MetricSeries.objects.filter(id__in=series_ids).version_bump()
    return deleted


def _metrics_wipe(user: AbstractBaseUser) -> dict[str, int]:
    """Delete every metric, rollup and series of the user (key epochs stay)."""
    list(
        MetricSeries.objects.select_for_update().filter(user_id=user.pk).order_by("id").values("id")
    )
    MetricSeries.objects.filter(user_id=user.pk).version_bump()
    metrics = EncryptedMetric.objects.filter(user_id=user.pk).delete()[0]
    rollups = MetricRollup.objects.filter(user_id=user.pk).delete()[0]
    MetricSeries.objects.filter(user_id=user.pk).delete()
    return {"deleted_metrics": metrics, "deleted_rollups": rollups}


def metrics_delete_all(*, user: User) -> dict[str, int]:
    """``DELETE /sync/metrics/all``: every metric and rollup goes; key epochs stay."""
    with transaction.atomic():
        return _metrics_wipe(user)


def analytics_purge(user: AbstractBaseUser, tier: str) -> dict[str, int]:
    """Tier-change purger: below analytics_sync, metrics, rollups and key epochs all go.

    Runs inside the tier change's transaction, which holds the user row exclusively.
    """
    if tier_allows(tier, PrivacyTier.ANALYTICS_SYNC):
        return {"deleted_metrics": 0, "deleted_rollups": 0, "deleted_keys": 0}
    counts = _metrics_wipe(user)
    counts["deleted_keys"] = PublicContext.objects.filter(user_id=user.pk).delete()[0]
    return counts

"""Writes of the analytics app: key epochs, encrypted metrics and their rollups."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.utils.timezone import now

from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.quotas import storage_check
from accounts.tiers import PrivacyTier, tier_allows
from analytics.formats import ciphertext_load, public_context_inspect
from analytics.messages import AnalyticsMessages as Msg
from analytics.models import EncryptedMetric, MetricRollup, MetricSeries, PublicContext
from analytics.rejections import BlobRejectedError
from analytics.rollups import MetricChange, rollups_apply
from analytics.storage import ciphertext_rows_insert, ciphertexts_by_id
from reflective.errors import ApiError
from reflective.lib.quotas import Quota, quota_check

SeriesKey = tuple[int, str]  # (epoch id, metric type)


@dataclass(frozen=True)
class MetricUpload:
    metric_type: str
    blob: bytes
    timestamp: datetime
    log_id: str | None = None
    key_id: str | None = None


@dataclass(frozen=True)
class MetricsStored:
    count: int
    replaced: int
    key_ids: list[str]


# --- key epochs ------------------------------------------------------------------------


def public_context_install(*, user: User, key_bytes: bytes) -> str:
    """Validate a public CKKS context and make it the user's current key epoch; returns key_id.

    Invariant: a user has at most one current epoch, and an epoch's bytes are exactly what
    was uploaded (key_id = sha256 of them). Re-uploading the current key changes nothing;
    re-uploading an older one makes it current again. A context holding a secret key is
    refused before anything parses or stores it. The caller may already hold the
    transaction and the user's tier lock (accounts does, on a tier change).
    """
    try:
        info = public_context_inspect(key_bytes, max_bytes=settings.HE_PUBLIC_KEY_MAX_BYTES)
    except BlobRejectedError as rejected:
        raise ApiError(rejected.code, rejected.detail, status=422) from None
    key_id = hashlib.sha256(key_bytes).hexdigest()
    with transaction.atomic():
        _key_change_lock(user)
        epochs = PublicContext.objects.select_for_update().filter(user_id=user.pk)
        existing = epochs.filter(key_id=key_id).first()
        if existing is not None and existing.is_current:
            return key_id
        epochs.filter(is_current=True).update(is_current=False)
        if existing is not None:
            existing.is_current = True
            existing.save(update_fields=["is_current"])
        else:
            quota_check(Quota.KEY_EPOCHS, used=epochs.count(), adding=1)
            PublicContext.objects.create(
                user=user,
                key_id=key_id,
                context_bytes=bytes(key_bytes),
                size_bytes=len(key_bytes),
                format=info.format,
                seal_version=info.seal_version,
                poly_modulus_degree=info.poly_modulus_degree,
                is_current=True,
            )
    return key_id


def public_context_rekey(*, user: User, key_bytes: bytes) -> PublicContext:
    """A re-key from the client: needs the analytics tier; returns the now current epoch."""
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.ANALYTICS_SYNC)
        key_id = public_context_install(user=user, key_bytes=key_bytes)
        return PublicContext.objects.get(user=user, key_id=key_id)


def _key_change_lock(user: User) -> None:
    """Serialize key changes of one user (two first uploads would both insert a current row).

    A transaction-scoped advisory lock: writers of metrics only share-lock the user row, so
    this does not block them. SQLite serializes writers by itself.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"analytics-key:{user.pk}"]
        )


# --- metrics ---------------------------------------------------------------------------


def _rejected(index: int, code: str, reason: str) -> ApiError:
    return ApiError(
        code,
        Msg.METRIC_REJECTED.format(index=index, reason=reason),
        status=422,
        fields={"metrics": {str(index): [reason]}},
        extra={"index": index},
    )


def _upload_epochs(user: User, metrics: list[MetricUpload]) -> list[PublicContext]:
    """The key epoch of each metric: the named key_id, else the current epoch."""
    epochs = {epoch.key_id: epoch for epoch in PublicContext.objects.filter(user_id=user.pk)}
    current = next((epoch for epoch in epochs.values() if epoch.is_current), None)
    chosen: list[PublicContext] = []
    for index, metric in enumerate(metrics):
        epoch = epochs.get(metric.key_id) if metric.key_id else current
        if epoch is None and not metric.key_id:
            raise ApiError("no_key", Msg.NO_KEY, status=422)
        if epoch is None:
            raise _rejected(index, "unknown_key_id", Msg.UNKNOWN_KEY_ID)
        chosen.append(epoch)
    return chosen


def _duplicates_check(metrics: list[MetricUpload], epochs: list[PublicContext]) -> None:
    seen: set[tuple[int, str, str]] = set()
    for index, (metric, epoch) in enumerate(zip(metrics, epochs, strict=True)):
        if metric.log_id is None:
            continue
        key = (epoch.pk, metric.metric_type, metric.log_id)
        if key in seen:
            raise _rejected(index, "duplicate_log_id", Msg.DUPLICATE_LOG_ID)
        seen.add(key)


def _ciphertexts_validate(
    metrics: list[MetricUpload], epochs: list[PublicContext], sizes: dict[SeriesKey, int]
) -> dict[SeriesKey, int]:
    """Load every ciphertext once (outside any lock); returns the vector size per series.

    The first value of a new series fixes its size; every other must match it.
    """
    sizes = dict(sizes)
    for index, (metric, epoch) in enumerate(zip(metrics, epochs, strict=True)):
        key = (epoch.pk, metric.metric_type)
        try:
            vector = ciphertext_load(metric.blob, codec=epoch.codec(), vector_size=sizes.get(key))
        except BlobRejectedError as rejected:
            raise _rejected(index, rejected.code, rejected.detail) from None
        sizes.setdefault(key, int(vector.size()))
    return sizes


def _zone_name(user: User) -> str:
    try:
        ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return user.timezone


def _series_locked(
    user: User, epochs: dict[int, PublicContext], sizes: dict[SeriesKey, int]
) -> dict[SeriesKey, MetricSeries]:
    """Get or create the batch's series and lock them, always in the same order.

    Inserting in sorted order and locking by id means two uploads that touch the same
    series wait for each other instead of deadlocking.
    """
    zone = _zone_name(user)
    wanted = sorted(sizes)
    MetricSeries.objects.bulk_create(
        [
            MetricSeries(
                user=user,
                epoch=epochs[epoch_id],
                metric_type=metric_type,
                vector_size=sizes[(epoch_id, metric_type)],
                rollup_timezone=zone,
            )
            for epoch_id, metric_type in wanted
        ],
        ignore_conflicts=True,
    )
    found: dict[SeriesKey, MetricSeries] = {}
    for epoch_id, metric_type in wanted:
        series = (
            MetricSeries.objects.select_for_update()
            .select_related("epoch")
            .get(user=user, epoch_id=epoch_id, metric_type=metric_type)
        )
        found[(epoch_id, metric_type)] = series
    return found


def _sizes_recheck(
    metrics: list[MetricUpload],
    epochs: list[PublicContext],
    sizes: dict[SeriesKey, int],
    series: dict[SeriesKey, MetricSeries],
) -> None:
    """A concurrent first upload may have created a series with another vector size."""
    for index, (metric, epoch) in enumerate(zip(metrics, epochs, strict=True)):
        key = (epoch.pk, metric.metric_type)
        expected = series[key].vector_size
        if sizes[key] != expected:
            detail = Msg.VECTOR_SIZE_MISMATCH.format(got=sizes[key], expected=expected)
            raise _rejected(index, "vector_size_mismatch", detail)


def _replaced_changes(
    series: dict[SeriesKey, MetricSeries],
    metrics: list[MetricUpload],
    epochs: list[PublicContext],
) -> dict[SeriesKey, list[MetricChange]]:
    """Delete stored metrics that this batch replaces (same series and log_id)."""
    log_ids: dict[SeriesKey, list[str]] = defaultdict(list)
    for metric, epoch in zip(metrics, epochs, strict=True):
        if metric.log_id is not None:
            log_ids[(epoch.pk, metric.metric_type)].append(metric.log_id)
    removed: dict[SeriesKey, list[MetricChange]] = defaultdict(list)
    for key, ids in log_ids.items():
        old = EncryptedMetric.objects.filter(series=series[key], log_id__in=ids)
        removed[key] = _removals(list(old.values_list("id", "timestamp")))
        old.delete()
    return removed


def _removals(rows: list[tuple[int, datetime]]) -> list[MetricChange]:
    times = dict(rows)
    return [
        MetricChange(times[pk], blob, -1) for pk, blob in ciphertexts_by_id(EncryptedMetric, times)
    ]


def metrics_upload(*, user: User, metrics: list[MetricUpload]) -> MetricsStored:
    """Store a batch of encrypted metrics atomically and fold them into the rollups.

    Invariant: after commit, every rollup of every touched series equals the sum of that
    series' metrics in its period. A metric whose (metric_type, log_id) is already stored
    under the same key epoch replaces it. Any invalid metric rejects the whole batch with
    a 422 naming its index, and nothing is stored.
    """
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.ANALYTICS_SYNC)  # fail fast
    epochs = _upload_epochs(user, metrics)
    _duplicates_check(metrics, epochs)
    known = MetricSeries.objects.filter(user_id=user.pk, epoch__in={e.pk for e in epochs})
    sizes = _ciphertexts_validate(
        metrics,
        epochs,
        {(s.epoch_id, s.metric_type): s.vector_size for s in known},
    )
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.ANALYTICS_SYNC)
        series = _series_locked(user, {e.pk: e for e in epochs}, sizes)
        _sizes_recheck(metrics, epochs, sizes, series)
        changes = _replaced_changes(series, metrics, epochs)
        _metric_quotas_check(user, metrics)
        rows = []
        for metric, epoch in zip(metrics, epochs, strict=True):
            key = (epoch.pk, metric.metric_type)
            rows.append(_metric_row(user, series[key], metric))
            changes[key].append(MetricChange(metric.timestamp, metric.blob, +1))
        ciphertext_rows_insert(EncryptedMetric, rows)
        for key, series_changes in changes.items():
            rollups_apply(series=series[key], changes=series_changes)
    replaced = sum(1 for key in changes for c in changes[key] if c.sign < 0)
    return MetricsStored(len(rows), replaced, sorted({epoch.key_id for epoch in epochs}))


def _metric_quotas_check(user: User, metrics: list[MetricUpload]) -> None:
    """After the replaced metrics are gone: room for the new ones under both quotas."""
    stored = EncryptedMetric.objects.filter(user_id=user.pk).count()
    quota_check(Quota.METRICS, used=stored, adding=len(metrics))
    storage_check(user, adding=sum(len(metric.blob) for metric in metrics))


def _metric_row(user: User, series: MetricSeries, metric: MetricUpload) -> dict[str, Any]:
    return {
        "user_id": user.pk,
        "series_id": series.pk,
        "timestamp": metric.timestamp,
        "log_id": metric.log_id,
        "ciphertext": bytes(metric.blob),
        "size_bytes": len(metric.blob),
        "created_at": now(),
    }


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
            .select_related("epoch")
            .filter(user_id=user.pk, id__in=series_ids)
            .order_by("id")
        ):
            rows = doomed.filter(series=series)
            removals = _removals(list(rows.values_list("id", "timestamp")))
            deleted += rows.delete()[0]
            rollups_apply(series=series, changes=removals)
    return deleted


def _metrics_wipe(user: AbstractBaseUser) -> dict[str, int]:
    """Delete every metric, rollup and series of the user (key epochs stay)."""
    list(
        MetricSeries.objects.select_for_update().filter(user_id=user.pk).order_by("id").values("id")
    )
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


REBUILD_CHUNK = 200


def series_rollups_rebuild(*, series_id: int, timezone: str | None = None) -> int:
    """Recompute every rollup of one series from its metrics, optionally in another zone.

    Invariant: afterwards the rollups equal a full recomputation, in ``timezone`` (default:
    the series' zone). Metrics are read in time order, a chunk at a time, so memory stays
    bounded. Holds the series lock throughout; returns how many metrics were folded in.
    """
    with transaction.atomic():
        series = MetricSeries.objects.select_for_update().select_related("epoch").get(pk=series_id)
        if timezone is not None and timezone != series.rollup_timezone:
            series.rollup_timezone = timezone
            series.save(update_fields=["rollup_timezone"])
        MetricRollup.objects.filter(series=series).delete()
        rows = list(
            EncryptedMetric.objects.filter(series=series)
            .order_by("timestamp", "id")
            .values_list("id", "timestamp")
        )
        for first in range(0, len(rows), REBUILD_CHUNK):
            chunk = dict(rows[first : first + REBUILD_CHUNK])
            additions = [
                MetricChange(chunk[pk], blob, +1)
                for pk, blob in ciphertexts_by_id(EncryptedMetric, chunk)
            ]
            rollups_apply(series=series, changes=additions)
    return len(rows)


def user_rollups_rebuild(*, user: User) -> int:
    """Rebuild the rollups of every series of ``user`` in the user's current time zone."""
    series_ids = MetricSeries.objects.filter(user_id=user.pk).values_list("id", flat=True)
    zone = _zone_name(user)
    return sum(series_rollups_rebuild(series_id=pk, timezone=zone) for pk in series_ids)

"""Metric uploads: validate a batch of ciphertexts, store it and fold it into the rollups.

The request is parsed into ``MetricUpload`` values by the serializers; everything here
takes those typed values, so a caller other than the API (the demo seeder) uses the same
path.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.timezone import now

from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.quotas import storage_check
from accounts.tiers import PrivacyTier
from analytics.formats.base import EncryptedVector
from analytics.formats.codec import ciphertext_load
from analytics.formats.errors import BlobRejectedError
from analytics.messages import AnalyticsMessages as Msg
from analytics.models import EncryptedMetric, MetricSeries, PublicContext
from analytics.services.rollups import (
    MetricChange,
    metric_removals,
    rollup_zone_name,
    rollups_apply,
)
from reflective.errors import ApiError
from reflective.lib.db.ciphertexts import ciphertext_rows_insert
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
    stored = PublicContext.objects.filter(user_id=user.pk).metadata()
    epochs = {epoch.key_id: epoch for epoch in stored}
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
) -> tuple[dict[SeriesKey, int], list[EncryptedVector]]:
    """Load every ciphertext once (outside any lock); returns the vector size per series
    and the loaded vectors, which the rollups then add without loading them again.

    The first value of a new series fixes its size; every other must match it.
    """
    sizes = dict(sizes)
    vectors: list[EncryptedVector] = []
    for index, (metric, epoch) in enumerate(zip(metrics, epochs, strict=True)):
        key = (epoch.pk, metric.metric_type)
        try:
            vector = ciphertext_load(metric.blob, codec=epoch.codec(), vector_size=sizes.get(key))
        except BlobRejectedError as rejected:
            raise _rejected(index, rejected.code, rejected.detail) from None
        sizes.setdefault(key, int(vector.size()))
        vectors.append(vector)
    return sizes, vectors


def _series_locked(
    user: User, epochs: dict[int, PublicContext], sizes: dict[SeriesKey, int]
) -> dict[SeriesKey, MetricSeries]:
    """Get or create the batch's series and lock them, always in the same order.

    Inserting in sorted order and locking by id means two uploads that touch the same
    series wait for each other instead of deadlocking.
    """
    zone = rollup_zone_name(user)
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
            .with_epoch()
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
        removed[key] = metric_removals(list(old.values_list("id", "timestamp")))
        old.delete()
    return removed


def metrics_upload(*, user: User, metrics: list[MetricUpload]) -> MetricsStored:
    """Store a batch of encrypted metrics atomically and fold them into the rollups.

    Invariant: after commit, every rollup of every touched series equals the sum of that
    series' metrics in its period. A metric whose (metric_type, log_id) is already stored
    under the same key epoch replaces it. Any invalid metric rejects the whole batch with
    a 422 naming its index, and nothing is stored. The tier is checked under the user's
    lock when storing; the API checks it before reading the body, too.
    """
    epochs = _upload_epochs(user, metrics)
    _duplicates_check(metrics, epochs)
    known = MetricSeries.objects.filter(user_id=user.pk, epoch__in={e.pk for e in epochs})
    sizes, vectors = _ciphertexts_validate(
        metrics,
        epochs,
        {(s.epoch_id, s.metric_type): s.vector_size for s in known},
    )
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.ANALYTICS_SYNC)
        series = _series_locked(user, {e.pk: e for e in epochs}, sizes)
        MetricSeries.objects.filter(pk__in=[s.pk for s in series.values()]).version_bump()
        _sizes_recheck(metrics, epochs, sizes, series)
        changes = _replaced_changes(series, metrics, epochs)
        _metric_quotas_check(user, metrics)
        rows = []
        for metric, epoch, vector in zip(metrics, epochs, vectors, strict=True):
            key = (epoch.pk, metric.metric_type)
            rows.append(_metric_row(user, series[key], metric))
            changes[key].append(MetricChange(metric.timestamp, metric.blob, +1, vector))
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

"""Encrypted sums, averages and counts over a series, from rollups plus raw edges."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from accounts.models import User
from analytics.aggregation.cover import Bucket, buckets_of, interval_bounds, pieces_assign
from analytics.aggregation.errors import no_metrics
from analytics.aggregation.sums import Operation, buckets_sum, cost_check
from analytics.models import MetricSeries, PublicContext
from analytics.periods import Level
from reflective.lib.db.snapshot import one_snapshot
from reflective.lib.replicas import reading_alias


@dataclass
class Aggregate:
    metric_type: str
    operation: Operation
    key_id: str
    timezone: str
    count: int
    encrypted_result: bytes | None
    buckets: list[Bucket] | None
    ciphertexts_read: int = 0


def _series_for(user: User, metric_type: str, key_id: str | None) -> MetricSeries:
    epochs = PublicContext.objects.filter(user=user)
    epoch = (
        epochs.filter(key_id=key_id).first() if key_id else epochs.filter(is_current=True).first()
    )
    if epoch is None:
        raise no_metrics()
    series = (
        MetricSeries.objects.select_related("epoch")
        .filter(user=user, epoch=epoch, metric_type=metric_type)
        .first()
    )
    if series is None:
        raise no_metrics()
    return series


def metrics_aggregate(
    *,
    user: User,
    metric_type: str,
    operation: Operation,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: Level | None = None,
    timezone: str | None = None,
    key_id: str | None = None,
) -> Aggregate:
    """Sum, average or count one metric type of one key epoch (the current one by default).

    Never mixes key epochs. Buckets are local calendar periods of ``timezone`` (the user's
    by default); empty ones are omitted. 404 ``no_metrics`` when nothing matches.
    """
    zone_name = timezone or user.timezone
    zone = ZoneInfo(zone_name)
    # Rollups and metrics from one snapshot, so a concurrent upload is all or nothing;
    # taken where the request reads (the replica, when it may).
    with one_snapshot(reading_alias()):
        series = _series_for(user, metric_type, key_id)
        lower, upper = interval_bounds(series, start, end)
        if bucket is None:
            buckets = [Bucket(lower, upper)]
        else:
            buckets = buckets_of(series, lower, upper, bucket, zone)
        pieces_assign(series, buckets)
        buckets = [b for b in buckets if b.count]
        if not buckets:
            raise no_metrics()
        result, read = None, 0
        if operation != Operation.COUNT:
            cost_check(series, buckets, with_total=bucket is not None)
            result, read = buckets_sum(series, buckets, operation, with_total=bucket is not None)
    return Aggregate(
        metric_type=metric_type,
        operation=operation,
        key_id=series.epoch.key_id,
        timezone=zone_name,
        count=sum(b.count for b in buckets),
        encrypted_result=result,
        buckets=buckets if bucket is not None else None,
        ciphertexts_read=read,
    )

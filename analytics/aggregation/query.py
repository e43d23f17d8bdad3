"""Encrypted sums, averages and counts over a series, from rollups plus raw edges."""

from datetime import datetime
from zoneinfo import ZoneInfo

from accounts.models import User
from analytics.aggregation.cache import Aggregate, SumQuery, sum_cached, sum_keep
from analytics.aggregation.cover import Bucket, buckets_of, interval_bounds, pieces_assign
from analytics.aggregation.errors import no_metrics
from analytics.aggregation.sums import Operation, buckets_sum, cost_check
from analytics.models import MetricSeries
from analytics.periods import Level
from reflective.lib.db.snapshot import one_snapshot
from reflective.lib.replicas import reading_alias


def _series_for(user: User, metric_type: str, key_id: str | None) -> MetricSeries:
    """The series of the named key epoch, else the current one; one query, no key bytes."""
    found = MetricSeries.objects.with_epoch().filter(user=user, metric_type=metric_type)
    found = found.filter(epoch__key_id=key_id) if key_id else found.filter(epoch__is_current=True)
    series = found.first()
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
    # Rollups and metrics from one snapshot, so a concurrent upload is all or nothing;
    # taken where the request reads (the replica, when it may).
    with one_snapshot(reading_alias()):
        series = _series_for(user, metric_type, key_id)
        query = SumQuery(operation, start, end, bucket, zone_name)
        cached = sum_cached(user.pk, series, query)
        if cached is not None:
            return cached
        result = _aggregate(series, query)
    sum_keep(user.pk, series, query, result)
    return result


def _aggregate(series: MetricSeries, query: SumQuery) -> Aggregate:
    operation, bucket, zone_name = query.operation, query.bucket, query.timezone
    lower, upper = interval_bounds(series, query.start, query.end)
    if bucket is None:
        buckets = [Bucket(lower, upper)]
    else:
        buckets = buckets_of(series, lower, upper, bucket, ZoneInfo(zone_name))
    pieces_assign(series, buckets)
    buckets = [b for b in buckets if b.count]
    if not buckets:
        raise no_metrics()
    result, read = None, 0
    if operation != Operation.COUNT:
        cost_check(buckets, with_total=bucket is not None)
        result, read = buckets_sum(series, buckets, operation, with_total=bucket is not None)
    return Aggregate(
        metric_type=series.metric_type,
        operation=operation,
        key_id=series.epoch.key_id,
        timezone=zone_name,
        count=sum(b.count for b in buckets),
        encrypted_result=result,
        buckets=buckets if bucket is not None else None,
        ciphertexts_read=read,
    )

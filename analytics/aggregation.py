"""Encrypted sums, averages and counts over a series, from rollups plus raw edges.

A query interval (or each bucket of it) is covered by whole calendar periods of the
series' rollup zone, whose sums are stored, and by raw leftovers at the edges, summed from
the metrics themselves (see ``periods.interval_cover``). The result is the same sum a full
recomputation gives; only the number of ciphertexts read differs.
"""

import bisect
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Max, Min, Q

from accounts.models import User
from analytics.formats import EncryptedVector
from analytics.messages import AnalyticsMessages as Msg
from analytics.models import EncryptedMetric, MetricRollup, MetricSeries, PublicContext
from analytics.periods import (
    Level,
    Period,
    bucket_periods_overlapping,
    interval_cover,
    local_date,
    period_floor,
)
from analytics.storage import ciphertexts_by_id
from reflective.errors import ApiError
from reflective.lib.replicas import reading_alias

# Buckets summed together; bounds the decrypted-free vectors held in memory at once.
BUCKETS_PER_PASS = 16
# Beyond this many raw edge intervals, one range scan beats a long OR of ranges.
RAW_INTERVALS_PER_QUERY = 64


class Operation(StrEnum):
    SUM = "sum"
    AVERAGE = "average"
    COUNT = "count"


@dataclass
class Bucket:
    """One result interval and the stored pieces that add up to it."""

    lower: datetime
    upper: datetime
    period: Period | None = None
    rollup_ids: list[int] = field(default_factory=list)
    metric_ids: list[int] = field(default_factory=list)
    count: int = 0
    encrypted_result: bytes | None = None


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


def _no_metrics() -> ApiError:
    return ApiError("no_metrics", Msg.NO_METRICS, status=404)


@contextmanager
def _snapshot() -> Iterator[None]:
    """Read rollups and metrics from one snapshot, so a concurrent upload is all or nothing.

    The snapshot is taken where the request reads: the replica, when it may (a standby
    serves REPEATABLE READ, READ ONLY transactions).
    """
    reader = connections[reading_alias()]
    if reader.in_atomic_block:
        with nullcontext():
            yield
        return
    with transaction.atomic(using=reader.alias):
        if reader.vendor == "postgresql":
            with reader.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _series_for(user: User, metric_type: str, key_id: str | None) -> MetricSeries:
    epochs = PublicContext.objects.filter(user=user)
    epoch = (
        epochs.filter(key_id=key_id).first() if key_id else epochs.filter(is_current=True).first()
    )
    if epoch is None:
        raise _no_metrics()
    series = (
        MetricSeries.objects.select_related("epoch")
        .filter(user=user, epoch=epoch, metric_type=metric_type)
        .first()
    )
    if series is None:
        raise _no_metrics()
    return series


def _year_of(instant: datetime, zone: ZoneInfo) -> Period:
    return Period(Level.YEAR, period_floor(Level.YEAR, local_date(instant, zone)))


def _bounds(
    series: MetricSeries, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """The query interval; an open side is widened to a year boundary of the rollup zone.

    No metric lies between that boundary and the first (or last) one, so the sum is the
    same, and the interval then starts and ends on whole rollup periods.
    """
    metrics = EncryptedMetric.objects.filter(series=series)
    if start is not None:
        metrics = metrics.filter(timestamp__gte=start)
    if end is not None:
        metrics = metrics.filter(timestamp__lt=end)
    found = metrics.aggregate(first=Min("timestamp"), last=Max("timestamp"))
    if found["first"] is None:
        raise _no_metrics()
    zone = ZoneInfo(series.rollup_timezone)
    if start is None:
        start = _year_of(found["first"], zone).bounds(zone)[0]
    if end is None:
        end = _year_of(found["last"], zone).bounds(zone)[1]
    return start, end


def _buckets(
    series: MetricSeries, lower: datetime, upper: datetime, level: Level, zone: ZoneInfo
) -> list[Bucket]:
    """The ``level`` periods of ``zone`` that can hold data in [lower, upper).

    Derived from the series' non-empty day rollups rather than by walking the calendar, so
    the work follows the data, however wide the interval.
    """
    days = MetricRollup.objects.filter(
        series=series, level=Level.DAY, start__lt=upper, end__gt=lower
    ).values_list("start", "end")
    periods: set[Period] = set()
    for day_start, day_end in days:
        periods.update(
            bucket_periods_overlapping(level, max(day_start, lower), min(day_end, upper), zone)
        )
    buckets = []
    for period in sorted(periods, key=lambda p: p.start):
        start, end = period.bounds(zone)
        buckets.append(Bucket(max(start, lower), min(end, upper), period))
    return buckets


def _assign_pieces(series: MetricSeries, buckets: list[Bucket]) -> None:
    """Attach to each bucket the rollups and raw metrics that exactly cover it."""
    zone = ZoneInfo(series.rollup_timezone)
    wanted: dict[Period, Bucket] = {}
    raw: list[tuple[datetime, datetime, Bucket]] = []
    for bucket in buckets:
        cover = interval_cover(bucket.lower, bucket.upper, zone)
        wanted.update((period, bucket) for period in cover.periods)
        raw.extend((lower, upper, bucket) for lower, upper in cover.raw)
    _attach_rollups(series, wanted)
    _attach_raw(series, sorted(raw, key=lambda item: item[0]))


def _attach_rollups(series: MetricSeries, wanted: dict[Period, Bucket]) -> None:
    by_level: dict[Level, list[Period]] = {}
    for period in wanted:
        by_level.setdefault(period.level, []).append(period)
    for level, periods in by_level.items():
        rows = MetricRollup.objects.filter(
            series=series, level=level, period_start__in=[p.start for p in periods]
        ).values_list("id", "period_start", "count")
        for rollup_id, period_start, count in rows:
            bucket = wanted[Period(level, period_start)]
            bucket.rollup_ids.append(rollup_id)
            bucket.count += count


def _attach_raw(series: MetricSeries, raw: list[tuple[datetime, datetime, Bucket]]) -> None:
    if not raw:
        return
    metrics = EncryptedMetric.objects.filter(series=series)
    if len(raw) <= RAW_INTERVALS_PER_QUERY:
        ranges = [Q(timestamp__gte=lower, timestamp__lt=upper) for lower, upper, _ in raw]
        metrics = metrics.filter(reduce(or_, ranges))
    else:
        metrics = metrics.filter(timestamp__gte=raw[0][0], timestamp__lt=raw[-1][1])
    lowers = [lower for lower, _, _ in raw]
    for metric_id, timestamp in metrics.values_list("id", "timestamp"):
        position = bisect.bisect_right(lowers, timestamp) - 1
        if position >= 0 and timestamp < raw[position][1]:
            bucket = raw[position][2]
            bucket.metric_ids.append(metric_id)
            bucket.count += 1


def _sum_pass(
    series: MetricSeries, buckets: list[Bucket]
) -> tuple[list[EncryptedVector | None], int]:
    """Sum each bucket's ciphertexts; returns the sums and how many ciphertexts were read."""
    codec = series.epoch.codec()
    sums: list[EncryptedVector | None] = [None] * len(buckets)
    read = 0
    for model, attribute in ((MetricRollup, "rollup_ids"), (EncryptedMetric, "metric_ids")):
        owner = {pk: i for i, bucket in enumerate(buckets) for pk in getattr(bucket, attribute)}
        for pk, blob in ciphertexts_by_id(model, owner):
            vector = codec.vector_from(blob)
            current = sums[owner[pk]]
            sums[owner[pk]] = vector if current is None else current + vector
            read += 1
    return sums, read


def _finish(vector: EncryptedVector, count: int, operation: Operation) -> bytes:
    # Scaling by 1/count is approximate at small parameter sets; callers also get count.
    result = vector * (1.0 / count) if operation == Operation.AVERAGE else vector
    return bytes(result.serialize())


def _sum_buckets(
    series: MetricSeries, buckets: list[Bucket], operation: Operation, *, with_total: bool
) -> tuple[bytes | None, int]:
    """Fill each bucket's encrypted_result; returns the overall result and ciphertexts read."""
    total: EncryptedVector | None = None
    read = 0
    for first in range(0, len(buckets), BUCKETS_PER_PASS):
        chunk = buckets[first : first + BUCKETS_PER_PASS]
        sums, chunk_read = _sum_pass(series, chunk)
        read += chunk_read
        for bucket, vector in zip(chunk, sums, strict=True):
            assert vector is not None
            bucket.encrypted_result = _finish(vector, bucket.count, operation)
            if with_total:
                total = vector if total is None else total + vector
    if not with_total:
        return buckets[0].encrypted_result, read
    assert total is not None
    return _finish(total, sum(b.count for b in buckets), operation), read


def _cost_check(series: MetricSeries, buckets: list[Bucket], *, with_total: bool) -> None:
    """Refuse, before reading any ciphertext, a sum that would cost more than a request may.

    Three bounds, each a 422 that says what to change: non-empty buckets
    (AGGREGATE_MAX_BUCKETS), ciphertexts read, rollups and raw edge metrics together
    (AGGREGATE_MAX_CIPHERTEXTS; about 2.3 ms each at degree 8192), and the encrypted
    results' bytes (AGGREGATE_MAX_RESULT_BYTES; each result is the size of a stored one).
    """
    limit = int(settings.AGGREGATE_MAX_BUCKETS)
    if len(buckets) > limit:
        raise ApiError(
            "too_many_buckets",
            Msg.TOO_MANY_BUCKETS.format(limit=limit, got=len(buckets)),
            status=422,
            extra={"limit": limit, "needed": len(buckets)},
        )
    reads = sum(len(b.rollup_ids) + len(b.metric_ids) for b in buckets)
    limit = int(settings.AGGREGATE_MAX_CIPHERTEXTS)
    if reads > limit:
        raise ApiError(
            "aggregate_too_costly",
            Msg.AGGREGATE_TOO_COSTLY.format(limit=limit, got=reads),
            status=422,
            extra={"limit": limit, "needed": reads},
        )
    results = len(buckets) + (1 if with_total else 0)
    needed = results * _result_size(series)
    limit = int(settings.AGGREGATE_MAX_RESULT_BYTES)
    if needed > limit:
        raise ApiError(
            "aggregate_result_too_large",
            Msg.AGGREGATE_RESULT_TOO_LARGE.format(limit=limit, got=needed),
            status=422,
            extra={"limit": limit, "needed": needed},
        )


def _result_size(series: MetricSeries) -> int:
    """The size of one encrypted result: that of the series' largest stored sum."""
    largest = MetricRollup.objects.filter(series=series).aggregate(size=Max("size_bytes"))
    return int(largest["size"] or 0)


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
    with _snapshot():
        series = _series_for(user, metric_type, key_id)
        lower, upper = _bounds(series, start, end)
        if bucket is None:
            buckets = [Bucket(lower, upper)]
        else:
            buckets = _buckets(series, lower, upper, bucket, zone)
        _assign_pieces(series, buckets)
        buckets = [b for b in buckets if b.count]
        if not buckets:
            raise _no_metrics()
        result, read = None, 0
        if operation != Operation.COUNT:
            _cost_check(series, buckets, with_total=bucket is not None)
            result, read = _sum_buckets(series, buckets, operation, with_total=bucket is not None)
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

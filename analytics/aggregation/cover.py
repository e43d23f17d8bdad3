"""Which stored pieces add up to each result interval: rollups plus raw edge metrics.

A query interval (or each bucket of it) is covered by whole calendar periods of the
series' rollup zone, whose sums are stored, and by raw leftovers at the edges, summed from
the metrics themselves (see ``periods.interval_cover``). The result is the same sum a full
recomputation gives; only the number of ciphertexts read differs.
"""

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.db.models import Max, Min, Q
from django.db.models.functions import TruncDate

from analytics.aggregation.errors import no_metrics
from analytics.models import EncryptedMetric, MetricRollup, MetricSeries
from analytics.periods import (
    Level,
    Period,
    interval_cover,
    local_date,
    period_floor,
)

# Beyond this many raw edge intervals, one range scan beats a long OR of ranges.
RAW_INTERVALS_PER_QUERY = 64


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
    largest_bytes: int = 0  # of the pieces: what one result of theirs weighs


def _year_of(instant: datetime, zone: ZoneInfo) -> Period:
    return Period(Level.YEAR, period_floor(Level.YEAR, local_date(instant, zone)))


def interval_bounds(
    series: MetricSeries, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """The query interval; an open side is widened to a year boundary of the rollup zone.

    No metric lies between that boundary and the first (or last) one, so the sum is the
    same, and the interval then starts and ends on whole rollup periods. A closed interval
    needs no query: an empty one is found empty when its pieces are counted.
    """
    if start is not None and end is not None:
        return start, end
    metrics = EncryptedMetric.objects.filter(series=series)
    if start is not None:
        metrics = metrics.filter(timestamp__gte=start)
    if end is not None:
        metrics = metrics.filter(timestamp__lt=end)
    found = metrics.aggregate(first=Min("timestamp"), last=Max("timestamp"))
    if found["first"] is None:
        raise no_metrics()
    zone = ZoneInfo(series.rollup_timezone)
    if start is None:
        start = _year_of(found["first"], zone).bounds(zone)[0]
    if end is None:
        end = _year_of(found["last"], zone).bounds(zone)[1]
    return start, end


def buckets_of(
    series: MetricSeries, lower: datetime, upper: datetime, level: Level, zone: ZoneInfo
) -> list[Bucket]:
    """The ``level`` periods of ``zone`` that hold data in [lower, upper).

    Derived from the distinct local days of the series' metrics (one query, grouped by
    the database) rather than by walking the calendar, so the work follows the data,
    however wide the interval.
    """
    days = (
        EncryptedMetric.objects.filter(series=series, timestamp__gte=lower, timestamp__lt=upper)
        .annotate(local_day=TruncDate("timestamp", tzinfo=zone))
        .values_list("local_day", flat=True)
        .distinct()
    )
    periods = {Period(level, period_floor(level, day)) for day in days}
    buckets = []
    for period in sorted(periods, key=lambda p: p.start):
        start, end = period.bounds(zone)
        buckets.append(Bucket(max(start, lower), min(end, upper), period))
    return buckets


def pieces_assign(series: MetricSeries, buckets: list[Bucket]) -> None:
    """Attach to each bucket the rollups and raw metrics that exactly cover it.

    A day without a rollup holds at most one metric (see ``services.rollups``), so it is
    read as a raw interval.
    """
    zone = ZoneInfo(series.rollup_timezone)
    wanted: dict[Period, Bucket] = {}
    raw: list[tuple[datetime, datetime, Bucket]] = []
    for bucket in buckets:
        cover = interval_cover(bucket.lower, bucket.upper, zone)
        wanted.update((period, bucket) for period in cover.periods)
        raw.extend((lower, upper, bucket) for lower, upper in cover.raw)
    for day in _attach_rollups(series, wanted):
        raw.append((*day.bounds(zone), wanted[day]))
    _attach_raw(series, sorted(raw, key=lambda item: item[0]))


def _attach_rollups(series: MetricSeries, wanted: dict[Period, Bucket]) -> list[Period]:
    """Attach the stored rollups; returns the wanted days that have none."""
    by_level: dict[Level, list[Period]] = {}
    for period in wanted:
        by_level.setdefault(period.level, []).append(period)
    found: set[Period] = set()
    for level, periods in by_level.items():
        rows = MetricRollup.objects.filter(
            series=series, level=level, period_start__in=[p.start for p in periods]
        ).values_list("id", "period_start", "count", "size_bytes")
        for rollup_id, period_start, count, size in rows:
            period = Period(level, period_start)
            found.add(period)
            bucket = wanted[period]
            bucket.rollup_ids.append(rollup_id)
            bucket.count += count
            bucket.largest_bytes = max(bucket.largest_bytes, size)
    return [p for p in by_level.get(Level.DAY, []) if p not in found]


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
    for metric_id, timestamp, size in metrics.values_list("id", "timestamp", "size_bytes"):
        position = bisect.bisect_right(lowers, timestamp) - 1
        if position >= 0 and timestamp < raw[position][1]:
            bucket = raw[position][2]
            bucket.metric_ids.append(metric_id)
            bucket.count += 1
            bucket.largest_bytes = max(bucket.largest_bytes, size)

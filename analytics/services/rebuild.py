"""Recomputing rollups from the stored metrics (after a time zone change, or to verify)."""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import User
from analytics.models import EncryptedMetric, MetricRollup, MetricSeries
from analytics.periods import local_date
from analytics.services.rollups import MetricChange, rollup_zone_name, rollups_apply
from reflective.lib.db.ciphertexts import ciphertexts_by_id

REBUILD_CHUNK = 200


def series_rollups_rebuild(*, series_id: int, timezone: str | None = None) -> int:
    """Recompute every rollup of one series from its metrics, optionally in another zone.

    Invariant: afterwards the rollups equal a full recomputation, in ``timezone`` (default:
    the series' zone). Metrics are read in time order, a chunk at a time, so memory stays
    bounded. Holds the series lock throughout; returns how many metrics were folded in.
    """
    with transaction.atomic():
        series = MetricSeries.objects.select_for_update().with_epoch().get(pk=series_id)
        if timezone is not None and timezone != series.rollup_timezone:
            series.rollup_timezone = timezone
            series.save(update_fields=["rollup_timezone"])
        MetricSeries.objects.filter(pk=series.pk).version_bump()
        MetricRollup.objects.filter(series=series).delete()
        rows = list(
            EncryptedMetric.objects.filter(series=series)
            .order_by("timestamp", "id")
            .values_list("id", "timestamp")
        )
        for chunk in _whole_days(rows, ZoneInfo(series.rollup_timezone)):
            additions = [
                MetricChange(chunk[pk], blob, +1)
                for pk, blob in ciphertexts_by_id(EncryptedMetric, chunk)
            ]
            rollups_apply(series=series, changes=additions)
    return len(rows)


def _whole_days(rows: list[tuple[int, datetime]], zone: ZoneInfo) -> Iterator[dict[int, datetime]]:
    """Chunks of about REBUILD_CHUNK time-ordered metrics, each holding whole local days:
    a day's rollup is created from all of that day's stored metrics at once."""
    chunk: dict[int, datetime] = {}
    last_day = None
    for pk, timestamp in rows:
        day = local_date(timestamp, zone)
        if len(chunk) >= REBUILD_CHUNK and day != last_day:
            yield chunk
            chunk = {}
        chunk[pk] = timestamp
        last_day = day
    if chunk:
        yield chunk


def user_rollups_rebuild(*, user: User) -> int:
    """Rebuild the rollups of every series of ``user`` in the user's current time zone."""
    series_ids = MetricSeries.objects.filter(user_id=user.pk).values_list("id", flat=True)
    zone = rollup_zone_name(user)
    return sum(series_rollups_rebuild(series_id=pk, timezone=zone) for pk in series_ids)

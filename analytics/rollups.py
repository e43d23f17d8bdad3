"""Keeping a series' encrypted rollups equal to the sums of its metrics.

Every upload and deletion hands its changes here inside its transaction, with the series
row locked. Changes are walked in time order, so each day's changes are summed once and
that day sum is folded into the open week, month and year accumulators; an accumulator is
written when the walk leaves its period. Each touched rollup costs one read, one
deserialization, one addition and one serialization, however many metrics changed in it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

import tenseal as ts

from analytics.ckks import parameters_context
from analytics.models import MetricRollup, MetricSeries
from analytics.periods import COARSE_TO_FINE, Period, local_date, period_floor
from analytics.storage import ciphertexts_by_id


@dataclass(frozen=True)
class MetricChange:
    """A metric entering (+1) or leaving (-1) a series."""

    timestamp: datetime
    blob: bytes
    sign: int


class RollupCorruptedError(RuntimeError):
    """A removal met no rollup, or a count went negative: rollups no longer match metrics."""


class _Delta:
    """A signed encrypted sum and a count change; remembers a lone added blob verbatim."""

    def __init__(self) -> None:
        self.vector: ts.CKKSVector | None = None
        self.count = 0
        self.lone_blob: bytes | None = None

    def add_change(self, change: MetricChange, context: ts.Context) -> None:
        vector = ts.ckks_vector_from(context, change.blob)
        self._add_vector(vector if change.sign > 0 else -vector, change.sign)
        self.lone_blob = change.blob if self.count == 1 and change.sign > 0 else None

    def add_delta(self, other: "_Delta") -> None:
        if other.vector is not None:
            self._add_vector(other.vector, other.count)
        self.lone_blob = other.lone_blob if self.count == other.count else None

    def _add_vector(self, vector: ts.CKKSVector, count: int) -> None:
        self.vector = vector if self.vector is None else self.vector + vector
        self.count += count


def rollups_apply(*, series: MetricSeries, changes: Iterable[MetricChange]) -> None:
    """Fold metric additions and removals into every rollup level of ``series``.

    The caller holds the series row lock inside the transaction that stores the changes.
    """
    zone = ZoneInfo(series.rollup_timezone)
    context = parameters_context(series.epoch.poly_modulus_degree)
    open_periods: dict[str, tuple[Period, _Delta]] = {}
    ordered = sorted(changes, key=lambda change: change.timestamp)
    for day, day_changes in groupby(ordered, key=lambda change: local_date(change.timestamp, zone)):
        day_delta = _Delta()
        for change in day_changes:
            day_delta.add_change(change, context)
        for level in COARSE_TO_FINE:
            period = Period(level, period_floor(level, day))
            current = open_periods.get(level)
            if current is not None and current[0] != period:
                _rollup_write(series, zone, context, *current)
                current = None
            if current is None:
                current = open_periods[level] = (period, _Delta())
            current[1].add_delta(day_delta)
    for period, delta in open_periods.values():
        _rollup_write(series, zone, context, period, delta)


def _rollup_write(
    series: MetricSeries, zone: ZoneInfo, context: ts.Context, period: Period, delta: _Delta
) -> None:
    existing = (
        MetricRollup.objects.filter(series=series, level=period.level, period_start=period.start)
        .only("id", "count")
        .first()
    )
    if existing is None:
        _rollup_create(series, zone, period, delta)
        return
    count = existing.count + delta.count
    if count < 0:
        raise RollupCorruptedError(f"negative count in rollup {existing.pk}")
    if count == 0:
        existing.delete()
        return
    if delta.vector is None:
        return
    _, blob = next(ciphertexts_by_id(MetricRollup, [existing.pk]))
    total = ts.ckks_vector_from(context, blob) + delta.vector
    merged = total.serialize()
    MetricRollup.objects.filter(pk=existing.pk).update(
        count=count, ciphertext=merged, size_bytes=len(merged)
    )


def _rollup_create(series: MetricSeries, zone: ZoneInfo, period: Period, delta: _Delta) -> None:
    if delta.count == 0:
        return
    if delta.count < 0 or delta.vector is None:
        raise RollupCorruptedError(f"removal from a missing {period.level} rollup")
    blob = delta.lone_blob if delta.lone_blob is not None else delta.vector.serialize()
    start, end = period.bounds(zone)
    MetricRollup.objects.create(
        user_id=series.user_id,
        series=series,
        level=period.level,
        period_start=period.start,
        start=start,
        end=end,
        count=delta.count,
        ciphertext=blob,
        size_bytes=len(blob),
    )

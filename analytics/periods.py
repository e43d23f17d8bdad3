"""Calendar periods in a time zone, and how to cover a time interval with them.

Rollups are kept per local day, week (Monday first), month and year of one zone. A query
interval (any two instants) is covered by the largest whole periods that fit inside it,
plus "raw" leftovers at its ragged edges that are summed from the metrics themselves. The
cover is exact by construction: its pieces are disjoint and their union is the interval.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Level(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


# Months nest in years and days in everything; weeks only fill what months leave over.
COARSE_TO_FINE = (Level.YEAR, Level.MONTH, Level.WEEK, Level.DAY)
BUCKET_LEVELS = (Level.DAY, Level.WEEK, Level.MONTH)


def period_floor(level: Level, day: date) -> date:
    """The first day of the ``level`` period that contains ``day``."""
    if level == Level.DAY:
        return day
    if level == Level.WEEK:
        return day - timedelta(days=day.weekday())
    if level == Level.MONTH:
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def period_next(level: Level, start: date) -> date:
    """The first day of the period after the one starting on ``start``."""
    if level == Level.DAY:
        return start + timedelta(days=1)
    if level == Level.WEEK:
        return start + timedelta(days=7)
    if level == Level.MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def first_start_on_or_after(level: Level, day: date) -> date:
    floor = period_floor(level, day)
    return floor if floor == day else period_next(level, floor)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) of a local day: local midnight, or the end of a DST gap at it.

    For a gap that starts at midnight, PEP 495 maps the missing 00:00 with the offset
    before the transition, which is exactly the transition instant.
    """
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


@dataclass(frozen=True)
class Period:
    level: Level
    start: date

    @property
    def end(self) -> date:
        return period_next(self.level, self.start)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return day_start(self.start, zone), day_start(self.end, zone)


def period_of(level: Level, instant: datetime, zone: ZoneInfo) -> Period:
    return Period(level, period_floor(level, local_date(instant, zone)))


def calendar_cover(
    first: date, stop: date, levels: tuple[Level, ...] = COARSE_TO_FINE
) -> list[Period]:
    """Whole periods covering the days [first, stop): coarsest that fit, finer at the edges."""
    if first >= stop:
        return []
    level, finer = levels[0], levels[1:]
    aligned = first_start_on_or_after(level, first)
    periods: list[Period] = []
    cursor = aligned
    while cursor < stop and period_next(level, cursor) <= stop:
        periods.append(Period(level, cursor))
        cursor = period_next(level, cursor)
    if not periods:
        return calendar_cover(first, stop, finer) if finer else []
    return calendar_cover(first, aligned, finer) + periods + calendar_cover(cursor, stop, finer)


@dataclass
class Cover:
    """Disjoint pieces whose union is the interval: whole periods and raw edge intervals."""

    periods: list[Period] = field(default_factory=list)
    raw: list[tuple[datetime, datetime]] = field(default_factory=list)


def interval_cover(lower: datetime, upper: datetime, zone: ZoneInfo) -> Cover:
    """Cover [lower, upper) with whole local periods of ``zone`` and raw leftovers."""
    cover = Cover()
    if lower >= upper:
        return cover
    first = local_date(lower, zone)
    if day_start(first, zone) < lower:
        first += timedelta(days=1)
    stop = local_date(upper, zone)
    whole_from, whole_to = day_start(first, zone), day_start(stop, zone)
    if first >= stop:
        cover.raw.append((lower, upper))
        return cover
    if lower < whole_from:
        cover.raw.append((lower, whole_from))
    # A local day that never happened (Pacific/Apia skipped 2011-12-30) is an empty period.
    cover.periods = [
        period
        for period in calendar_cover(first, stop)
        if period.bounds(zone)[0] < period.bounds(zone)[1]
    ]
    if whole_to < upper:
        cover.raw.append((whole_to, upper))
    return cover


def bucket_periods_overlapping(
    level: Level, lower: datetime, upper: datetime, zone: ZoneInfo
) -> list[Period]:
    """The ``level`` periods of ``zone`` that overlap [lower, upper), in order."""
    periods: list[Period] = []
    period = period_of(level, lower, zone)
    while period.bounds(zone)[0] < upper:
        periods.append(period)
        period = Period(level, period.end)
    return periods

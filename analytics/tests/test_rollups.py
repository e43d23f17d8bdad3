"""Rollups are an optimization only: every answer equals a full recomputation."""

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analytics.aggregation.query import metrics_aggregate
from analytics.aggregation.sums import Operation
from analytics.models import EncryptedMetric, MetricRollup
from analytics.periods import Level, calendar_cover, day_start, interval_cover, period_floor
from analytics.services.deletion import metrics_delete
from analytics.services.uploads import MetricUpload, metrics_upload
from reflective.errors import ApiError

ZONES = [
    "UTC",
    "America/Los_Angeles",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # half-hour DST
    "America/Santiago",  # DST change at midnight
    "Pacific/Apia",  # skipped 2011-12-30 entirely
]
instants = st.datetimes(
    min_value=datetime(2010, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


def _pieces(lower, upper, zone):
    cover = interval_cover(lower, upper, zone)
    return sorted([p.bounds(zone) for p in cover.periods] + cover.raw)


@settings(max_examples=300, deadline=None)
@given(first=instants, second=instants, zone_name=st.sampled_from(ZONES))
@example(
    first=datetime(2011, 12, 2, tzinfo=UTC),
    second=datetime(2012, 1, 1, tzinfo=UTC),
    zone_name="Pacific/Apia",
)
def test_a_cover_is_disjoint_and_exactly_the_interval(first, second, zone_name):
    lower, upper = min(first, second), max(first, second)
    zone = ZoneInfo(zone_name)

    pieces = _pieces(lower, upper, zone)

    if lower == upper:
        assert pieces == []
        return
    assert pieces[0][0] == lower
    assert pieces[-1][1] == upper
    for (_, end), (start, _) in pairwise(pieces):
        assert end == start
    assert all(start < end for start, end in pieces)


@settings(max_examples=200, deadline=None)
@given(first=st.dates(date(2000, 1, 1), date(2040, 1, 1)), days=st.integers(0, 3000))
def test_calendar_cover_tiles_the_days_with_few_pieces(first, days):
    stop = first + timedelta(days=days)

    periods = calendar_cover(first, stop)

    assert sum((p.end - p.start).days for p in periods) == days
    covered = [p.start + timedelta(n) for p in periods for n in range((p.end - p.start).days)]
    assert covered == [first + timedelta(n) for n in range(days)]
    years = sum(1 for p in periods if p.level == Level.YEAR)
    # Per side: up to 11 months, then days, up to 4 weeks and days around the weeks.
    assert len(periods) - years <= 2 * (11 + 6 + 4 + 6)


def test_a_local_year_is_one_piece():
    zone = ZoneInfo("America/Los_Angeles")
    cover = interval_cover(
        day_start(date(2024, 1, 1), zone), day_start(date(2025, 1, 1), zone), zone
    )

    assert [(p.level, p.start) for p in cover.periods] == [(Level.YEAR, date(2024, 1, 1))]
    assert cover.raw == []


def test_a_day_with_a_dst_gap_at_midnight_starts_when_the_clocks_jump():
    santiago = ZoneInfo("America/Santiago")

    start = day_start(date(2022, 9, 11), santiago)

    assert start == datetime(2022, 9, 11, 4, 0, tzinfo=UTC)
    assert start.astimezone(santiago).hour == 1


# --- rollups against full recomputation, through the real services -------------------


def _random_time(rng):
    start = datetime(2023, 12, 20, tzinfo=UTC)
    return start + timedelta(seconds=rng.randrange(0, 500 * 86400))


def _expected(truth, lower, upper):
    inside = [v for t, v in truth.values() if lower <= t < upper]
    return len(inside), sum(inside)


def _assert_rollups_match(user, keys, truth):
    """Every rollup equals the recomputed sum of its period; a day holding one metric has
    no rollup (that metric is the day's sum), every other period holding data has one."""
    zone = ZoneInfo(user.timezone)
    per_day = Counter(when.astimezone(zone).date() for when, _ in truth.values())
    expected_periods = {
        (level.value, period_floor(level, when.astimezone(zone).date()))
        for when, _ in truth.values()
        for level in Level
        if level != Level.DAY or per_day[when.astimezone(zone).date()] > 1
    }
    rollups = MetricRollup.objects.filter(user=user)
    assert set(rollups.values_list("level", "period_start")) == expected_periods
    for rollup in rollups:
        count, total = _expected(truth, rollup.start, rollup.end)
        assert rollup.count == count
        assert keys.decrypt(bytes(rollup.ciphertext))[0] == pytest.approx(total, rel=1e-6, abs=1e-4)


def _assert_queries_match(user, keys, truth, rng):
    for query in range(8):
        a, b = sorted([_random_time(rng), _random_time(rng)])
        if query < 2:
            a, b = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        zone = rng.choice(ZONES)
        bucket = rng.choice([None, Level.DAY, Level.WEEK, Level.MONTH])
        count, total = _expected(truth, a, b)
        query_args = {
            "user": user,
            "metric_type": "word_count",
            "operation": Operation.SUM,
            "start": a if query >= 2 else None,
            "end": b if query >= 2 else None,
            "bucket": bucket,
            "timezone": zone,
        }
        if count == 0:
            with pytest.raises(ApiError) as nothing:
                metrics_aggregate(**query_args)
            assert nothing.value.code == "no_metrics"
            continue
        result = metrics_aggregate(**query_args)
        assert result.count == count
        got = keys.decrypt(result.encrypted_result)[0]
        assert got == pytest.approx(total, rel=1e-6, abs=1e-4)
        for bucket_result in result.buckets or []:
            lower, upper = bucket_result.lower, bucket_result.upper
            bucket_count, bucket_total = _expected(truth, lower, upper)
            assert bucket_result.count == bucket_count
            value = keys.decrypt(bucket_result.encrypted_result)[0]
            assert value == pytest.approx(bucket_total, rel=1e-6, abs=1e-4)


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Kathmandu"])
def test_rollups_equal_recomputation_after_random_uploads_and_deletions(keyed_alice, keys, zone):
    keyed_alice.timezone = zone
    keyed_alice.save()
    rng = random.Random(zone)
    truth: dict[str, tuple[datetime, float]] = {}
    for step in range(8):
        batch: list[MetricUpload] = []
        for n in range(rng.randint(1, 8)):
            log_id = f"e{rng.randrange(40)}" if rng.random() < 0.7 else f"s{step}-{n}"
            if any(log_id == m.log_id for m in batch):
                continue
            when, value = _random_time(rng), rng.uniform(-100, 1000)
            batch.append(MetricUpload("word_count", keys.encrypt([value]), when, log_id))
            truth[log_id] = (when, value)
        metrics_upload(user=keyed_alice, metrics=batch)
        doomed = rng.sample(sorted(truth), k=min(len(truth), rng.randint(0, 3)))
        metrics_delete(user=keyed_alice, log_ids=doomed)
        for log_id in doomed:
            del truth[log_id]

    assert EncryptedMetric.objects.filter(user=keyed_alice).count() == len(truth)
    _assert_rollups_match(keyed_alice, keys, truth)
    _assert_queries_match(keyed_alice, keys, truth, rng)


@pytest.mark.django_db
def test_deleting_every_metric_of_a_period_removes_its_rollups(keyed_alice, keys):
    when = datetime(2024, 2, 1, 12, tzinfo=UTC)
    metrics_upload(
        user=keyed_alice,
        metrics=[MetricUpload("word_count", keys.encrypt([1.0]), when, "e1")],
    )

    metrics_delete(user=keyed_alice, log_ids=["e1"])

    assert not MetricRollup.objects.filter(user=keyed_alice).exists()


@pytest.mark.django_db
def test_a_rebuild_in_a_new_zone_equals_the_incremental_rollups_of_that_zone(keyed_alice, keys):
    from io import StringIO

    from django.core.management import call_command

    rng = random.Random(5)
    truth = {}
    batch = []
    for n in range(30):
        when, value = _random_time(rng), rng.uniform(-10, 10)
        batch.append(MetricUpload("word_count", keys.encrypt([value]), when, f"e{n}"))
        truth[f"e{n}"] = (when, value)
    metrics_upload(user=keyed_alice, metrics=batch)
    keyed_alice.timezone = "Asia/Kathmandu"
    keyed_alice.save()
    out = StringIO()

    call_command("analytics_rollups_rebuild", email="alice@example.com", stdout=out)

    assert "alice@example.com: 30 metrics" in out.getvalue()
    _assert_rollups_match(keyed_alice, keys, truth)
    week = MetricRollup.objects.filter(user=keyed_alice, level="week")[0]
    assert week.start.astimezone(ZoneInfo("Asia/Kathmandu")).time().isoformat() == "00:00:00"


@pytest.mark.django_db
def test_a_rebuild_in_small_chunks_keeps_whole_days_together(keyed_alice, keys, monkeypatch):
    from analytics.services import rebuild

    monkeypatch.setattr(rebuild, "REBUILD_CHUNK", 2)
    truth = {}
    batch = []
    for n in range(9):  # 3 days of 3 metrics, then one lone day
        when = datetime(2024, 3, 1 + n // 3, 8 + n % 3, tzinfo=UTC)
        batch.append(MetricUpload("word_count", keys.encrypt([float(n)]), when, f"e{n}"))
        truth[f"e{n}"] = (when, float(n))
    lone = datetime(2024, 3, 20, 12, tzinfo=UTC)
    batch.append(MetricUpload("word_count", keys.encrypt([50.0]), lone, "lone"))
    truth["lone"] = (lone, 50.0)
    metrics_upload(user=keyed_alice, metrics=batch)

    rebuild.user_rollups_rebuild(user=keyed_alice)

    _assert_rollups_match(keyed_alice, keys, truth)
    assert MetricRollup.objects.filter(user=keyed_alice, level="day").count() == 3

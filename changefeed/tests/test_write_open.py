"""``feed_write_open``: the tier lock, the feed position and the storage bound, taken in
one statement when no device needs recording, keep what the separate statements did."""

import threading
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction

from accounts.models import StorageBound, User
from accounts.quotas import storage_check
from accounts.tiers import PrivacyTier, TierRequiredError
from changefeed.feed import feed_cursor, feed_write_open


def _open(user: User, *, reserve: int = 0, tier: str = PrivacyTier.FULL_SYNC) -> Any:
    return feed_write_open(user=user, required_tier=tier, storage_reserve=reserve)


def _bound(user: User) -> int | None:
    return StorageBound.objects.filter(user=user).values_list("bytes_at_most", flat=True).first()


def test_positions_and_the_bound_come_from_one_statement(
    alice: User, django_assert_num_queries: Any
) -> None:
    StorageBound.objects.create(user=alice, bytes_at_most=1000)
    statements = 1 if connection.vendor == "postgresql" else 3  # SQLite: one by one
    with transaction.atomic(), django_assert_num_queries(statements):
        writer = _open(alice, reserve=100)
    assert (writer.before, writer.storage.reserved, writer.storage.bound) == (0, 100, 1100)
    assert (feed_cursor(user=alice), _bound(alice)) == (1, 1100)


def test_a_below_tier_user_is_refused_and_takes_nothing(alice: User) -> None:
    StorageBound.objects.create(user=alice, bytes_at_most=1000)
    User.objects.filter(pk=alice.pk).update(privacy_tier=PrivacyTier.ANALYTICS_SYNC)
    with pytest.raises(TierRequiredError) as refused, transaction.atomic():
        _open(alice, reserve=100)  # alice still says full_sync in memory
    assert refused.value.extra["current_tier"] == PrivacyTier.ANALYTICS_SYNC
    assert (feed_cursor(user=alice), _bound(alice)) == (0, 1000)
    with transaction.atomic():
        assert _open(alice, tier=PrivacyTier.ANALYTICS_SYNC).before == 0


def test_a_user_gone_is_refused(alice: User) -> None:
    gone = User(pk=alice.pk, privacy_tier=PrivacyTier.FULL_SYNC)
    alice.delete()
    with pytest.raises(TierRequiredError) as refused, transaction.atomic():
        _open(gone, reserve=100)
    assert refused.value.extra["current_tier"] == ""


@pytest.mark.parametrize(("stored", "bound"), [(100, 1100), (40, 1040), (0, 1000)])
def test_bytes_reserved_and_not_stored_are_handed_back(
    alice: User, stored: int, bound: int
) -> None:
    """An identical retry stores nothing: the bound ends as an unreserved check leaves it."""
    StorageBound.objects.create(user=alice, bytes_at_most=1000)
    with transaction.atomic():
        writer = _open(alice, reserve=100)
        storage_check(alice, adding=stored, reserved=writer.storage)
    assert _bound(alice) == bound


def test_an_unknown_bound_is_counted_exactly(alice: User) -> None:
    with transaction.atomic():
        writer = _open(alice, reserve=100)
        assert writer.storage.bound is None
        storage_check(alice, adding=60, reserved=writer.storage)
    assert _bound(alice) == 60  # nothing stored before: the exact count, plus this write


def _in_other_transaction(work: Any, started: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            work()
            started.set()
            release.wait(timeout=30)
    finally:
        connection.close()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_write_in_flight_holds_off_a_tier_change(alice: User) -> None:
    started, release = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=_in_other_transaction, args=(lambda: _open(alice, reserve=10), started, release)
    )
    thread.start()
    assert started.wait(timeout=10)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")
            with pytest.raises(OperationalError):
                User.objects.select_for_update().get(pk=alice.pk)
    finally:
        release.set()
        thread.join(timeout=30)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_write_behind_a_downgrade_waits_and_sees_the_new_tier(alice: User) -> None:
    """The downgrade holds the user row exclusively; the write waits for its commit and is
    then refused on the tier it left, without taking a position."""
    started, release = threading.Event(), threading.Event()

    def downgrade() -> None:
        User.objects.select_for_update().get(pk=alice.pk)
        User.objects.filter(pk=alice.pk).update(privacy_tier=PrivacyTier.LOCAL_ONLY)

    thread = threading.Thread(target=_in_other_transaction, args=(downgrade, started, release))
    thread.start()
    assert started.wait(timeout=10)
    threading.Timer(0.3, release.set).start()
    try:
        with pytest.raises(TierRequiredError) as refused, transaction.atomic():
            _open(alice, reserve=10)
    finally:
        release.set()
        thread.join(timeout=30)
    assert refused.value.extra["current_tier"] == PrivacyTier.LOCAL_ONLY
    assert feed_cursor(user=alice) == 0

"""The per-user change feed counter: positions are consecutive, per user, and locked."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.tiers import PrivacyTier
from changefeed.feed import feed_cursor, feed_seq_next


def _next(user: User) -> int:
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.FULL_SYNC)
        return feed_seq_next(user=user)


def test_positions_start_at_one_and_are_consecutive(alice: User) -> None:
    assert feed_cursor(user=alice) == 0
    assert [_next(alice) for _ in range(3)] == [1, 2, 3]
    assert feed_cursor(user=alice) == 3


def test_each_user_has_their_own_counter(alice: User, bob: User) -> None:
    _next(alice)
    _next(alice)
    assert _next(bob) == 1
    assert feed_cursor(user=alice) == 2


@pytest.mark.django_db(transaction=True)
def test_a_position_outside_a_transaction_is_refused(alice: User) -> None:
    with pytest.raises(RuntimeError):
        feed_seq_next(user=alice)


class _AbortError(Exception):
    pass


def _take_and_abort(user: User) -> None:
    with transaction.atomic():
        feed_seq_next(user=user)
        raise _AbortError


def test_a_rolled_back_write_gives_its_position_back(alice: User) -> None:
    _next(alice)
    with pytest.raises(_AbortError):
        _take_and_abort(alice)
    assert _next(alice) == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_later_position_waits_for_the_earlier_one_to_commit(alice: User) -> None:
    """The holder of position n blocks n+1 until it commits: commit order is feed order."""
    taken = threading.Event()
    commit_started_at: dict[str, float] = {}

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                feed_seq_next(user=alice)
                taken.set()
                time.sleep(0.4)
                # Stamped before COMMIT: the lock is held until after this instant, while a
                # stamp taken after COMMIT returns could come later than the waiter's own.
                commit_started_at["slow"] = time.monotonic()
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert taken.wait(5)
    position = _next(alice)
    got_at = time.monotonic()
    thread.join()
    assert position == 2
    assert got_at >= commit_started_at["slow"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_first_writes_create_one_row_and_distinct_positions(alice: User) -> None:
    positions: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(5):
                positions.append(_next(alice))
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(positions) == list(range(1, 31))

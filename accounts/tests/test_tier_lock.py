"""The tier lock a synced write holds blocks tier changes, and nothing else on the account."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.tiers import PrivacyTier

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@contextmanager
def _write_in_flight(user: User) -> Iterator[None]:
    """Another connection holds the tier lock, as a synced write does until it commits."""
    locked, release = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                user_tier_lock(user=user, required_tier=PrivacyTier.FULL_SYNC)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert locked.wait(timeout=10)
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=30)


def _runs_without_waiting(statement: Callable[[], object]) -> bool:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '500ms'")
        try:
            with transaction.atomic():
                statement()
        except OperationalError:
            return False
    return True


def test_a_login_does_not_wait_for_a_synced_write(alice: User) -> None:
    with _write_in_flight(alice):
        assert _runs_without_waiting(
            lambda: User.objects.filter(pk=alice.pk).update(last_login=timezone.now())
        )


def test_a_tier_change_waits_for_a_synced_write(alice: User) -> None:
    with _write_in_flight(alice):
        assert not _runs_without_waiting(lambda: User.objects.select_for_update().get(pk=alice.pk))

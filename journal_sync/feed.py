"""The per-user change feed counter every synced write draws its position from.

Entries, tags and anything else a device pulls "since cursor" share one counter per user.
A writer takes the user's sync row lock and the next value in the same transaction as its
write and holds the lock until commit, so a later position can never commit before an
earlier one: a reader that asks for ``seq > cursor`` cannot skip a write that is still in
flight.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection

from accounts.models import User
from journal_sync.models import SyncState


@dataclass(frozen=True)
class FeedPosition:
    last_seq: int
    pruned_seq: int


def _table() -> str:
    return connection.ops.quote_name(SyncState._meta.db_table)


def _user_key(user: User) -> Any:
    return User._meta.pk.get_db_prep_value(user.pk, connection)


def _require_transaction() -> None:
    # Outside a transaction the lock would be released at once and positions could
    # commit out of order; fail loudly instead of silently breaking the feed.
    if not connection.in_atomic_block:
        raise RuntimeError("feed positions must be taken inside transaction.atomic()")


def feed_seq_next(*, user: User) -> int:
    """Take the user's next feed position; hold the sync row lock until commit.

    Call inside ``transaction.atomic()`` after ``accounts.locks.user_tier_lock``. One
    statement: the upsert creates the row race-free on first use, and its ``DO UPDATE``
    locks the row exactly as ``SELECT ... FOR UPDATE`` would, until the transaction ends.
    """
    _require_transaction()
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, last_seq, pruned_seq) VALUES (%s, 1, 0) "
            f"ON CONFLICT (user_id) DO UPDATE SET last_seq = {table}.last_seq + 1 "
            "RETURNING last_seq",
            [_user_key(user)],
        )
        return int(cursor.fetchone()[0])


def feed_lock(*, user: User) -> FeedPosition:
    """Lock the user's sync row (creating it race-free) and return where the feed stands.

    For writers that decide what to write only after holding the lock (a push may end as
    a no-op or a conflict, which takes no position); they then call ``feed_advance``.
    """
    _require_transaction()
    position = _locked_position(user)
    if position is None:
        SyncState.objects.bulk_create([SyncState(user=user)], ignore_conflicts=True)
        position = _locked_position(user)
    assert position is not None
    return position


def _locked_position(user: User) -> FeedPosition | None:
    suffix = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT last_seq, pruned_seq FROM {_table()} WHERE user_id = %s{suffix}",
            [_user_key(user)],
        )
        row = cursor.fetchone()
    return None if row is None else FeedPosition(last_seq=int(row[0]), pruned_seq=int(row[1]))


def feed_advance(*, user: User, last_seq: int) -> None:
    """Record the positions a ``feed_lock`` holder handed out (same transaction)."""
    _require_transaction()
    SyncState.objects.filter(user=user).update(last_seq=last_seq)


def feed_cursor(*, user: User) -> int:
    """The user's last handed-out feed position (0 before the first write)."""
    return int(SyncState.objects.filter(user=user).values_list("last_seq", flat=True).first() or 0)


def feed_position(*, user: User) -> FeedPosition:
    """Where the feed stands, read without locking (for pulls)."""
    row = SyncState.objects.filter(user=user).values_list("last_seq", "pruned_seq").first()
    return FeedPosition(0, 0) if row is None else FeedPosition(int(row[0]), int(row[1]))

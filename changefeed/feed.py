"""The per-user change feed every synced write draws its position from.

Entries, tags and anything else a device pulls "since cursor" share one counter per user.
A writer takes the user's feed row lock and the next value in the same transaction as its
write and holds the lock until commit, so a later position can never commit before an
earlier one: a reader that asks for ``seq > cursor`` cannot skip a write still in flight.

Lock order, for every synced write: ``accounts.locks.user_tier_lock`` first (a tier change
takes that row exclusively), then the devices the write names, then the feed row
(``feed_write_open`` takes them in that order). The prune watermark ``pruned_seq`` only
rises: a cursor below it may have missed a record that is gone, and gets
``ResyncRequiredError``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Value
from django.db.models.functions import Greatest

from accounts.devices import device_seen, device_seen_due
from accounts.locks import user_tier_lock
from accounts.models import StorageBound, User
from accounts.quotas import StorageReserved
from accounts.tiers import tier_require, tiers_allowing
from changefeed.errors import ResyncRequiredError
from changefeed.models import SyncState
from reflective.lib.db.feed import feed_row_lock, feed_row_read, feed_seq_take, feed_write_take


@dataclass(frozen=True)
class FeedPosition:
    last_seq: int
    pruned_seq: int


def _require_transaction() -> None:
    # Outside a transaction the lock would be released at once and positions could
    # commit out of order; fail loudly instead of silently breaking the feed.
    if not connection.in_atomic_block:
        raise RuntimeError("feed positions must be taken inside transaction.atomic()")


def feed_seq_next(*, user: User) -> int:
    """Take the user's next feed position; hold the feed row lock until commit.

    Call inside ``transaction.atomic()`` after ``accounts.locks.user_tier_lock``.
    """
    _require_transaction()
    return feed_seq_take(SyncState, user.pk)


def feed_lock(*, user: User) -> FeedPosition:
    """Lock the user's feed row (creating it race-free) and return where the feed stands.

    For writers that must hold the lock before they decide what to change (a prune, a
    wipe); writers of new positions use ``feed_write_open``.
    """
    _require_transaction()
    row = feed_row_lock(SyncState, user.pk)
    if row is None:
        SyncState.objects.bulk_create([SyncState(user=user)], ignore_conflicts=True)
        row = feed_row_lock(SyncState, user.pk)
    assert row is not None
    return FeedPosition(last_seq=row[0], pruned_seq=row[1])


def feed_advance(*, user: User, last_seq: int) -> None:
    """Record the last position a lock holder handed out (same transaction)."""
    _require_transaction()
    SyncState.objects.filter(user=user).update(last_seq=last_seq)


def feed_cursor(*, user: User) -> int:
    """The user's last handed-out feed position (0 before the first write)."""
    return int(SyncState.objects.filter(user=user).values_list("last_seq", flat=True).first() or 0)


def feed_position(*, user: User) -> FeedPosition:
    """Where the feed stands, read without locking (for pulls)."""
    return feed_position_of(feed_row_read(SyncState, user.pk))


def feed_position_of(row: tuple[int, int] | None) -> FeedPosition:
    """The position a ``(last_seq, pruned_seq)`` row of ``SyncState`` says (none: 0, 0)."""
    return FeedPosition(0, 0) if row is None else FeedPosition(*row)


class FeedWriter:
    """The feed positions one write transaction hands out, in order.

    Opened by ``feed_write_open``, which reserves one position with the lock (almost every
    write stores exactly one record). ``settle`` corrects the counter when the write used
    more or none: positions are invisible until commit and the lock is still held, so
    handing back an unused one leaves no hole for any reader.
    """

    def __init__(self, user: User, *, before: int, storage: StorageReserved | None = None) -> None:
        self.user = user
        self.before = before
        self.last_seq = before
        self.storage = storage

    def take(self) -> int:
        """The next position of this write."""
        self.last_seq += 1
        return self.last_seq

    def settle(self) -> None:
        """Make the counter say the last position taken; call once, before commit."""
        if self.last_seq != self.before + 1:
            feed_advance(user=self.user, last_seq=self.last_seq)


def feed_write_open(
    *, user: User, required_tier: str, device_ids: Iterable[str] = (), storage_reserve: int = 0
) -> FeedWriter:
    """Take the locks of a synced write in their order; call inside ``transaction.atomic``.

    The tier lock first (``TierRequiredError`` below ``required_tier``), then each named
    device's record (sorted, so two writes never wait on each other in a cycle), then the
    feed row with one reserved position, then (``storage_reserve`` > 0) the storage bound
    raised by that many bytes ahead of ``accounts.quotas.storage_check``, which is given
    ``FeedWriter.storage`` and settles it. Without a device to record, all of it is one
    statement (1 round trip instead of 3 on a push; see ``feed_write_take``).
    """
    _require_transaction()
    devices = sorted({device_id for device_id in device_ids if device_id})
    due = [device_id for device_id in devices if device_seen_due(user=user, device_id=device_id)]
    if due:
        user_tier_lock(user=user, required_tier=required_tier)
        for device_id in due:
            device_seen(user=user, device_id=device_id)
    tier_lock = None if due else (User, tiers_allowing(required_tier))
    bound = (StorageBound, storage_reserve) if storage_reserve > 0 else None
    opened = feed_write_take(SyncState, user.pk, tier_lock=tier_lock, bound_raise_by=bound)
    if opened.tier is not None:
        tier_require(opened.tier, required_tier)
        user.privacy_tier = opened.tier
    assert opened.last_seq is not None
    storage = None if bound is None else StorageReserved(storage_reserve, opened.bound)
    return FeedWriter(user, before=opened.last_seq - 1, storage=storage)


def feed_watermark_raise(*, user_id: Any, seq: int) -> None:
    """Raise the prune watermark to ``seq``: a cursor below it may have missed a deletion.

    The watermark never goes down, whichever prune (entries, tags, a wipe) commits last.
    """
    SyncState.objects.filter(user_id=user_id).update(
        pruned_seq=Greatest("pruned_seq", Value(seq, output_field=BigIntegerField()))
    )


def feed_forget_all(*, user: User) -> None:
    """Every record up to now is gone (a wipe, a tier purge): every old cursor must resync."""
    feed_watermark_raise(user_id=user.pk, seq=feed_lock(user=user).last_seq)


def feed_cursor_check(*, cursor: int, position: FeedPosition, detail: str) -> None:
    """Refuse a cursor outside the kept history with 410 ``resync_required``.

    Older than the watermark (it may have missed a pruned record) or newer than the feed
    (the server lost writes, e.g. restored from a backup). Position 0 is the start of the
    feed: reading from it cannot miss anything.
    """
    if cursor > position.last_seq or 0 < cursor < position.pruned_seq:
        raise ResyncRequiredError(cursor_seq=cursor, oldest_seq=position.pruned_seq, detail=detail)

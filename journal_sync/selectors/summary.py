"""What the account holds: the sync summary and digest, stats, quota use, writing facts."""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from changefeed.feed import feed_position
from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from reflective.lib.db.entries import user_sizes_sum
from reflective.lib.db.snapshot import one_snapshot
from reflective.lib.replicas import reading_alias


@dataclass(frozen=True)
class SyncSummary:
    last_seq: int
    entry_count: int
    bytes_stored: int
    digest: str


def entry_digest(pairs: Iterator[tuple[str, int]]) -> str:
    """sha256 over the lines ``"<id>:<revision>\\n"`` sorted by id in byte order."""
    lines = sorted(f"{client_id}:{revision}\n".encode() for client_id, revision in pairs)
    return hashlib.sha256(b"".join(lines)).hexdigest()


def sync_summary(*, user: User) -> SyncSummary:
    """Cursor, counts and digest from one snapshot, so they describe the same state."""
    with one_snapshot(reading_alias()):
        return _summary(user)


def _summary(user: User) -> SyncSummary:
    position = feed_position(user=user)
    live = EncryptedEntry.objects.filter(user=user, deleted=False)
    pairs = list(live.values_list("client_id", "revision"))
    return SyncSummary(
        last_seq=position.last_seq,
        entry_count=len(pairs),
        bytes_stored=bytes_stored(user=user),
        digest=entry_digest(iter(pairs)),
    )


def bytes_stored(*, user: User) -> int:
    """Every ciphertext byte the server holds for the user: entries, history, conflicts."""
    return user_sizes_sum((EncryptedEntry, EntryRevision, EntryConflict), user.pk)


def sync_stats(user: AbstractBaseUser) -> dict[str, Any]:
    assert isinstance(user, User)
    return {
        "entry_count": EncryptedEntry.objects.filter(user=user, deleted=False).count(),
        "bytes_stored": bytes_stored(user=user),
        "open_conflicts": EntryConflict.objects.filter(user=user, resolved_at__isnull=True).count(),
    }


def sync_usage(user: AbstractBaseUser) -> dict[str, int]:
    """Use of the quotas encrypted sync owns (tombstones are rows, so they count)."""
    per_entry = (
        EntryConflict.objects.filter(user_id=user.pk, resolved_at__isnull=True)
        .values("entry_id")
        .annotate(open=Count("id"))
        .aggregate(most=Max("open"))
    )
    return {
        "entries": EncryptedEntry.objects.filter(user_id=user.pk).count(),
        "open_conflicts_per_entry": per_entry["most"] or 0,
    }


def sync_storage_bytes(user: AbstractBaseUser) -> int:
    assert isinstance(user, User)
    return bytes_stored(user=user)


def writing_summary(user: AbstractBaseUser) -> dict[str, Any]:
    """The journal facts the user object carries: live entries and the current streak."""
    assert isinstance(user, User)
    live = EncryptedEntry.objects.filter(user=user, deleted=False)
    zone = ZoneInfo(user.timezone)
    days = (
        live.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values_list("day", flat=True)
        .distinct()
        .order_by("-day")
    )
    today = timezone.now().astimezone(zone).date()
    return {"logs_count": live.count(), "writing_streak": streak_length(days, today=today)}


def streak_length(days_newest_first: Iterable[date | None], *, today: date) -> int:
    """Consecutive days with an entry, ending today, or yesterday while today is still open.

    The days are client-claimed ``created_at`` dates in the user's zone; a day after
    ``today`` (a device clock ahead) is skipped rather than allowed to break the streak.
    """
    expected: date | None = None
    streak = 0
    for day in days_newest_first:
        if day is None or day > today:
            continue
        if expected is None:
            if day < today - timedelta(days=1):
                return 0
            expected = day
        if day != expected:
            break
        streak += 1
        expected = day - timedelta(days=1)
    return streak

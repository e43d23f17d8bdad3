"""Reads of encrypted sync: the change feed, state and digest, history, conflicts, stats.

Every query starts from the requesting user; another user's id is simply not found.
"""

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from journal_sync.errors import entry_not_found, resync_required
from journal_sync.feed import feed_position
from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from reflective.lib.statements import values_fetch

FEED_FIELDS = (
    "client_id",
    "revision",
    "seq",
    "deleted",
    "encrypted_content",
    "content_iv",
    "content_tag",
    "encrypted_embedding",
    "embedding_iv",
    "content_sha256",
    "device_id",
    "created_at",
    "updated_at",
    "stored_at",
)


@dataclass(frozen=True)
class FeedPage:
    rows: list[dict[str, Any]]
    next_seq: int
    has_more: bool


def _page(rows: QuerySet[EncryptedEntry], *, after_seq: int, last_seq: int, limit: int) -> FeedPage:
    fetched = values_fetch(rows.order_by("seq")[: limit + 1], FEED_FIELDS)
    has_more = len(fetched) > limit
    page = fetched[:limit]
    reached = page[-1]["seq"] if page else after_seq
    # last_seq was read before the page: every position up to it had committed, so a
    # final page has seen all of them (rows of an excluded device included).
    return FeedPage(page, reached if has_more else max(reached, last_seq), has_more)


def changes_since(
    *, user: User, after_seq: int | None, limit: int, exclude_device_id: str | None = None
) -> FeedPage:
    """Entries whose latest write is after ``after_seq``, in feed order, ``limit`` at most.

    A cursor older than the prune watermark (it may have missed a pruned tombstone) or
    newer than the feed (the server lost writes, e.g. restored from a backup) is 410.
    """
    position = feed_position(user=user)
    # Position 0 is the start of the feed: reading from it cannot miss anything.
    after = after_seq or 0
    if after > position.last_seq or 0 < after < position.pruned_seq:
        raise resync_required(cursor_seq=after, oldest_seq=position.pruned_seq)
    rows = EncryptedEntry.objects.filter(user=user, seq__gt=after)
    if exclude_device_id:
        rows = rows.exclude(device_id=exclude_device_id)
    page = _page(rows, after_seq=after, last_seq=position.last_seq, limit=limit)
    # A prune that committed after the position read may have removed a tombstone this
    # page would have carried: the watermark is checked again once the rows are read.
    if after and after < (pruned_seq := feed_position(user=user).pruned_seq):
        raise resync_required(cursor_seq=after, oldest_seq=pruned_seq)
    return page


def changes_since_time(
    *, user: User, since: datetime, limit: int, exclude_device_id: str | None = None
) -> FeedPage:
    """Old clients' ``since``: entries stored after a server time, in feed order.

    Lossy by nature (a page boundary or a device's clock can skip writes); the cursor
    returned alongside lets such clients switch to the gap-free feed.
    """
    position = feed_position(user=user)
    rows = EncryptedEntry.objects.filter(user=user, stored_at__gt=since)
    if exclude_device_id:
        rows = rows.exclude(device_id=exclude_device_id)
    return _page(rows, after_seq=0, last_seq=position.last_seq, limit=limit)


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
    if connection.in_atomic_block:
        return _summary(user)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
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
    total = 0
    for model in (EncryptedEntry, EntryRevision, EntryConflict):
        total += model.objects.filter(user=user).aggregate(size=Sum("size_bytes"))["size"] or 0
    return int(total)


def entry_history(*, user: User, client_id: str) -> list[dict[str, Any]]:
    """The kept versions of an entry, newest first, the current one included."""
    entry = (
        EncryptedEntry.objects.filter(user=user, client_id=client_id)
        .values("id", *FEED_FIELDS)
        .first()
    )
    if entry is None:
        raise entry_not_found()
    older = EntryRevision.objects.filter(entry_id=entry["id"]).order_by("-revision")
    fields = [name for name in FEED_FIELDS if name != "client_id"]
    return [entry, *({"client_id": client_id, **row} for row in older.values(*fields))]


def open_conflicts(*, user: User) -> QuerySet[EntryConflict]:
    return (
        EntryConflict.objects.filter(user=user, resolved_at__isnull=True)
        .select_related("entry")
        .only("entry__client_id", *_CONFLICT_FIELDS)
        .order_by("detected_at", "id")
    )


@dataclass(frozen=True)
class ConflictPage:
    conflicts: list[EntryConflict]
    total_count: int
    has_more: bool


def open_conflicts_page(
    *, user: User, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> ConflictPage:
    """Open conflicts oldest first, ``limit`` at most, after the conflict a page ended on.

    Each conflict carries two ciphertexts of up to a megabyte, so the list is paged; the
    order (detected_at, id) is stable, and ``total_count`` counts every open conflict.
    """
    conflicts = open_conflicts(user=user)
    total = conflicts.count()
    if after is not None:
        detected_at, conflict_id = after
        conflicts = conflicts.filter(
            Q(detected_at__gt=detected_at) | Q(detected_at=detected_at, id__gt=conflict_id)
        )
    fetched = list(conflicts[: limit + 1])
    return ConflictPage(fetched[:limit], total, len(fetched) > limit)


_CONFLICT_FIELDS = tuple(
    model_field.name
    for model_field in EntryConflict._meta.concrete_fields
    if model_field.name not in ("user", "entry")
)


# --- cross-app: stats and export ------------------------------------------------------
def sync_stats(user: AbstractBaseUser) -> dict[str, Any]:
    assert isinstance(user, User)
    return {
        "entry_count": EncryptedEntry.objects.filter(user=user, deleted=False).count(),
        "bytes_stored": bytes_stored(user=user),
        "open_conflicts": EntryConflict.objects.filter(user=user, resolved_at__isnull=True).count(),
    }


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


def entries_for_export(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    rows = EncryptedEntry.objects.filter(user_id=user.pk).order_by("seq")
    yield from rows.values(*FEED_FIELDS).iterator(chunk_size=200)


def revisions_for_export(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    rows = EntryRevision.objects.filter(user_id=user.pk).order_by("entry_id", "revision")
    fields = [name for name in FEED_FIELDS if name != "client_id"]
    yield from rows.values("entry__client_id", *fields).iterator(chunk_size=200)


def conflicts_for_export(user: AbstractBaseUser) -> Iterator[EntryConflict]:
    rows = EntryConflict.objects.filter(user_id=user.pk).select_related("entry")
    rows = rows.order_by("detected_at")
    yield from rows.iterator(chunk_size=100)

"""Reads of encrypted sync: the change feed, state and digest, history, conflicts, stats.

Every query starts from the requesting user; another user's id is simply not found.
"""

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, connections, transaction
from django.db.models import (
    Case,
    Count,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User
from journal_sync.errors import entry_not_found, resync_required
from journal_sync.feed import feed_position
from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from reflective.lib.db.bulk import values_fetch
from reflective.lib.replicas import reading_alias

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


def page_fit(sizes: Sequence[int], limit: int) -> int:
    """How many of the first ``limit`` items fit in SYNC_PAGE_MAX_BYTES (at least one).

    Pages are bounded by bytes as well as by items, so a response and the memory that
    builds it stay below a constant however large the stored ciphertexts are.
    """
    budget = int(settings.SYNC_PAGE_MAX_BYTES)
    used = 0
    for taken, size in enumerate(sizes[:limit]):
        used += size
        if taken and used > budget:
            return taken
    return min(len(sizes), limit)


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Run several reads against one snapshot (REPEATABLE READ on PostgreSQL).

    Byte-bounded pages read sizes, then rows; between two READ COMMITTED statements a
    concurrent write could move a row out of the page or resolve a conflict on it.
    """
    alias = reading_alias()  # the replica when the request may read one
    reader = connections[alias]
    if reader.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        if reader.vendor == "postgresql":
            with reader.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _page(rows: QuerySet[EncryptedEntry], *, after_seq: int, last_seq: int, limit: int) -> FeedPage:
    """``limit`` rows at most, fewer when their ciphertext passes the page's byte budget.

    The sizes are read first (no ciphertext), then only the rows that fit, both from one
    snapshot.
    """
    with one_snapshot():
        return _page_read(rows, after_seq=after_seq, last_seq=last_seq, limit=limit)


def _page_read(
    rows: QuerySet[EncryptedEntry], *, after_seq: int, last_seq: int, limit: int
) -> FeedPage:
    sized = list(rows.order_by("seq").values_list("seq", "size_bytes")[: limit + 1])
    count = page_fit([size for _, size in sized], limit)
    has_more = len(sized) > count
    if count == 0:
        return FeedPage([], max(after_seq, last_seq), False)
    cutoff = sized[count - 1][0]
    page = values_fetch(rows.filter(seq__lte=cutoff).order_by("seq")[:count], FEED_FIELDS)
    # last_seq was read before the page: every position up to it had committed, so a
    # final page has seen all of them (rows of an excluded device included).
    return FeedPage(page, cutoff if has_more else max(cutoff, last_seq), has_more)


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
    with one_snapshot():
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
    """Every ciphertext byte the server holds for the user: entries, history, conflicts.

    One statement rather than three ORM aggregates: every quota-checked push runs it.
    """
    quote = connection.ops.quote_name
    parts = " UNION ALL ".join(
        f"SELECT size_bytes FROM {quote(model._meta.db_table)} WHERE user_id = %s"
        for model in (EncryptedEntry, EntryRevision, EntryConflict)
    )
    user_key = User._meta.pk.get_db_prep_value(user.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(size_bytes), 0) FROM ({parts}) sizes", [user_key] * 3)
        return int(cursor.fetchone()[0])


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


def _open_conflicts(user: User) -> QuerySet[EntryConflict]:
    return EntryConflict.objects.filter(user=user, resolved_at__isnull=True).order_by(
        "detected_at", "id"
    )


def _with_versions(conflicts: QuerySet[EntryConflict]) -> QuerySet[EntryConflict]:
    return conflicts.select_related("entry").only("entry__client_id", *_CONFLICT_FIELDS)


# (entry pk, revision) -> the encrypted parts of that version of the entry.
RemoteVersions = dict[tuple[int, int], dict[str, Any]]


@dataclass(frozen=True)
class ConflictPage:
    conflicts: list[EntryConflict]
    remotes: RemoteVersions
    total_count: int
    has_more: bool


def _remote_size() -> Coalesce:
    """The size of the version a conflict refers to: kept history, or the entry itself."""
    kept = EntryRevision.objects.filter(
        entry_id=OuterRef("entry_id"), revision=OuterRef("remote_revision")
    ).values("size_bytes")[:1]
    current = Case(
        When(entry__revision=F("remote_revision"), then=F("entry__size_bytes")),
        default=Value(0),
    )
    return Coalesce(Subquery(kept), current)


def open_conflicts_page(
    *, user: User, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> ConflictPage:
    """Open conflicts oldest first, after the conflict a page ended on.

    At most ``limit`` conflicts, and fewer when their two versions pass the page's byte
    budget (``page_fit``): sizes are read first, then only the conflicts that fit. A
    remote version shared by many conflicts is read once. The order (detected_at, id) is
    stable, and ``total_count`` counts every open conflict.
    """
    with one_snapshot():
        return _conflicts_page_read(user, after, limit)


def _conflicts_page_read(
    user: User, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> ConflictPage:
    conflicts = _open_conflicts(user)
    total = conflicts.count()
    if after is not None:
        detected_at, conflict_id = after
        conflicts = conflicts.filter(
            Q(detected_at__gt=detected_at) | Q(detected_at=detected_at, id__gt=conflict_id)
        )
    sized = list(
        conflicts.annotate(remote_size=_remote_size()).values_list(
            "id", "size_bytes", "remote_size"
        )[: limit + 1]
    )
    count = page_fit([local + remote for _, local, remote in sized], limit)
    wanted = [conflict_id for conflict_id, _, _ in sized[:count]]
    page = list(_with_versions(_open_conflicts(user).filter(pk__in=wanted)))
    return ConflictPage(page, remote_versions(page), total, len(sized) > count)


def remote_versions(conflicts: Sequence[EntryConflict]) -> RemoteVersions:
    """The version each conflict refers to, read once however many conflicts share it."""
    wanted = {(conflict.entry_id, conflict.remote_revision) for conflict in conflicts}
    if not wanted:
        return {}
    found: RemoteVersions = {}
    kept = reduce(or_, (Q(entry_id=pk, revision=revision) for pk, revision in wanted))
    for row in EntryRevision.objects.filter(kept).values("entry_id", "revision", *_PARTS):
        found[(row["entry_id"], row["revision"])] = row
    current = reduce(or_, (Q(pk=pk, revision=revision) for pk, revision in wanted))
    for row in EncryptedEntry.objects.filter(current).values("id", "revision", *_PARTS):
        found[(row["id"], row["revision"])] = row
    return found


_PARTS = ("encrypted_content", "content_iv", "content_tag", "encrypted_embedding", "embedding_iv")


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


# Export reads rows with ciphertext EXPORT_ROWS_PER_FETCH at a time through a server-side
# cursor, so its memory is a few rows of up to 2 MiB each, whatever the account holds.
def _export_chunk() -> int:
    return int(settings.EXPORT_ROWS_PER_FETCH)


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
    yield from rows.values(*FEED_FIELDS).iterator(chunk_size=_export_chunk())


def revisions_for_export(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    rows = EntryRevision.objects.filter(user_id=user.pk).order_by("entry_id", "revision")
    fields = [name for name in FEED_FIELDS if name != "client_id"]
    yield from rows.values("entry__client_id", *fields).iterator(chunk_size=_export_chunk())


def conflicts_for_export(
    user: AbstractBaseUser,
) -> Iterator[tuple[EntryConflict, RemoteVersions]]:
    """Every conflict with the versions its chunk refers to, a chunk at a time."""
    rows = EntryConflict.objects.filter(user_id=user.pk).select_related("entry")
    chunk: list[EntryConflict] = []
    for conflict in rows.order_by("detected_at", "id").iterator(chunk_size=_export_chunk()):
        chunk.append(conflict)
        if len(chunk) == _export_chunk():
            yield from _with_remotes(chunk)
            chunk = []
    yield from _with_remotes(chunk)


def _with_remotes(chunk: list[EntryConflict]) -> Iterator[tuple[EntryConflict, RemoteVersions]]:
    open_ones = [conflict for conflict in chunk if conflict.resolved_at is None]
    remotes = remote_versions(open_ones)
    for conflict in chunk:
        yield conflict, remotes

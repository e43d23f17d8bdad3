"""The entries' change feed: byte-bounded pages since a cursor, and an entry's history."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User
from changefeed.feed import feed_cursor_check, feed_position
from journal_sync.errors import SyncMessages, entry_not_found
from journal_sync.models import EncryptedEntry, EntryRevision
from reflective.lib.db.bulk import byte_page_fetch, bytes_fit

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

_SEQ = FEED_FIELDS.index("seq")


@dataclass(frozen=True)
class FeedPage:
    rows: list[tuple[Any, ...]]  # FEED_FIELDS in order
    next_seq: int
    has_more: bool


def page_fit(sizes: Sequence[int], limit: int) -> int:
    """How many of the first ``limit`` items fit in SYNC_PAGE_MAX_BYTES (at least one).

    Pages are bounded by bytes as well as by items, so a response and the memory that
    builds it stay below a constant however large the stored ciphertexts are.
    """
    return bytes_fit(sizes, limit, int(settings.SYNC_PAGE_MAX_BYTES))


def _page(rows: QuerySet[EncryptedEntry], *, after_seq: int, last_seq: int, limit: int) -> FeedPage:
    """``limit`` rows at most, fewer when their ciphertext passes the page's byte budget.

    The sizes are read first (no ciphertext), then only the rows that fit, both from one
    snapshot (on the replica when the request may read one).
    """
    page, has_more = byte_page_fetch(
        rows,
        FEED_FIELDS,
        key="seq",
        size="size_bytes",
        limit=limit,
        budget=int(settings.SYNC_PAGE_MAX_BYTES),
    )
    if not page:
        return FeedPage([], max(after_seq, last_seq), False)
    cutoff = page[-1][_SEQ]
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
    after = after_seq or 0
    feed_cursor_check(cursor=after, position=position, detail=SyncMessages.RESYNC_REQUIRED)
    rows = EncryptedEntry.objects.filter(user=user, seq__gt=after)
    if exclude_device_id:
        rows = rows.exclude(device_id=exclude_device_id)
    page = _page(rows, after_seq=after, last_seq=position.last_seq, limit=limit)
    # A prune that committed after the position read may have removed a tombstone this
    # page would have carried: the watermark is checked again once the rows are read (the
    # counter only grows, so only the watermark can refuse the cursor now; from position 0
    # nothing can be missed, and the read is spared).
    if after:
        latest = feed_position(user=user)
        feed_cursor_check(cursor=after, position=latest, detail=SyncMessages.RESYNC_REQUIRED)
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

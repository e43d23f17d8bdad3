"""The entries' change feed: byte-bounded pages since a cursor, and an entry's history."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from accounts.models import User
from changefeed.feed import FeedPosition, feed_cursor_check, feed_position_of
from changefeed.models import SyncState
from journal_sync.errors import SyncMessages, entry_not_found
from journal_sync.models import EncryptedEntry, EntryRevision
from reflective.lib.db.bulk import PageSource, byte_page_fetch, bytes_fit

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


def _page(source: PageSource, *, after_seq: int, limit: int) -> tuple[FeedPage, FeedPosition]:
    """``limit`` rows at most, fewer when their ciphertext passes the page's byte budget,
    and where the feed stood, from one snapshot (on the replica when the request may read
    one): the sizes first (no ciphertext), then only the rows that fit."""
    budget = int(settings.SYNC_PAGE_MAX_BYTES)
    fetched = byte_page_fetch(source, FEED_FIELDS, limit=limit, budget=budget)
    position = feed_position_of(fetched.counter)
    page = fetched.rows
    if not page:
        return FeedPage([], max(after_seq, position.last_seq), False), position
    cutoff = page[-1][_SEQ]
    # The counter and the rows are one snapshot: every position up to last_seq had
    # committed, so a final page has seen all of them (rows of an excluded device included).
    next_seq = cutoff if fetched.has_more else max(cutoff, position.last_seq)
    return FeedPage(page, next_seq, fetched.has_more), position


def _entries(user: User, after: tuple[str, Any], exclude_device_id: str | None) -> PageSource:
    skip = ("device_id", exclude_device_id) if exclude_device_id else None
    return PageSource(
        EncryptedEntry,
        ("user", user.pk),
        after,
        skip,
        counter=SyncState,
        key="seq",
        size="size_bytes",
    )


def changes_since(
    *, user: User, after_seq: int | None, limit: int, exclude_device_id: str | None = None
) -> FeedPage:
    """Entries whose latest write is after ``after_seq``, in feed order, ``limit`` at most.

    A cursor older than the prune watermark (it may have missed a pruned tombstone) or
    newer than the feed (the server lost writes, e.g. restored from a backup) is 410. The
    watermark is read with the rows, in one snapshot: a prune deletes its tombstones and
    raises the watermark in one transaction, so the page either still holds them or the
    cursor is refused.
    """
    after = after_seq or 0
    source = _entries(user, ("seq", after), exclude_device_id)
    page, position = _page(source, after_seq=after, limit=limit)
    feed_cursor_check(cursor=after, position=position, detail=SyncMessages.RESYNC_REQUIRED)
    return page


def changes_since_time(
    *, user: User, since: datetime, limit: int, exclude_device_id: str | None = None
) -> FeedPage:
    """Old clients' ``since``: entries stored after a server time, in feed order.

    Lossy by nature (a page boundary or a device's clock can skip writes); the cursor
    returned alongside lets such clients switch to the gap-free feed.
    """
    source = _entries(user, ("stored_at", since), exclude_device_id)
    return _page(source, after_seq=0, limit=limit)[0]


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

"""Push: store pushed versions by compare-and-swap on the revision, and deletes."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.quotas import storage_check
from accounts.tiers import PrivacyTier
from changefeed.feed import FeedWriter, feed_write_open
from journal_sync.errors import SyncMessages, entry_not_found
from journal_sync.models import EncryptedEntry
from journal_sync.services.conflicts import conflicts_record
from journal_sync.services.history import history_archive, history_trim
from journal_sync.services.versions import (
    EntryWrite,
    entry_update,
    heads,
    version_fields,
    write_size,
)
from reflective.lib.db.bulk import rows_insert
from reflective.lib.quotas import Quota, quota_check, quota_limit


class PushStatus(StrEnum):
    STORED = "stored"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    REJECTED = "rejected"


@dataclass(frozen=True)
class PushResult:
    """What happened to one pushed version; for a conflict, ``revision`` is the server's."""

    client_id: str
    status: PushStatus
    revision: int | None = None
    seq: int | None = None
    conflict_id: uuid.UUID | None = None
    error: str | None = None
    detail: str | None = None
    resurrected: bool = False


def _decide(head: EncryptedEntry | None, write: EntryWrite) -> PushStatus:
    """Compare-and-swap on the revision; a byte-identical push is an idempotent retry."""
    if head is None:
        return PushStatus.STORED
    if write.fingerprint == head.fingerprint:
        return PushStatus.UNCHANGED
    if write.base_revision is None:
        # Old clients send no base: the last writer may go on writing, anyone else conflicts,
        # except over a tombstone, where keeping the edit loses nothing (a resurrection).
        keeps_edit = write.device_id == head.device_id or _resurrects(head, write)
        return PushStatus.STORED if keeps_edit else PushStatus.CONFLICT
    return PushStatus.STORED if write.base_revision == head.revision else PushStatus.CONFLICT


def _resurrects(head: EncryptedEntry | None, write: EntryWrite) -> bool:
    """An edit stored over a tombstone brings the entry back; its result says so."""
    return head is not None and head.deleted and write.content is not None


@dataclass
class _PushPlan:
    """Decisions for one locked batch, then the few set-based writes that apply them."""

    user: User
    now: datetime
    feed: FeedWriter
    heads: dict[str, EncryptedEntry]
    results: list[PushResult] = field(default_factory=list)
    creates: list[EncryptedEntry] = field(default_factory=list)
    updates: list[tuple[EncryptedEntry, EntryWrite, int]] = field(default_factory=list)
    conflicts: list[tuple[int, EncryptedEntry, EntryWrite]] = field(default_factory=list)

    def add(self, write: EntryWrite, *, duplicate: bool) -> None:
        head = self.heads.get(write.client_id)
        if duplicate:
            self._result(
                write, PushStatus.REJECTED, error="duplicate_id", detail=SyncMessages.DUPLICATE_ID
            )
            return
        status = _decide(head, write)
        if status == PushStatus.UNCHANGED and head is not None:
            self._result(write, status, revision=head.revision, seq=head.seq)
        elif status == PushStatus.CONFLICT and head is not None:
            self.conflicts.append((len(self.results), head, write))
            self._result(write, status, revision=head.revision, seq=head.seq)
        else:
            self._store(write, head)

    def _result(self, write: EntryWrite, status: PushStatus, **fields: Any) -> None:
        self.results.append(PushResult(write.client_id, status, **fields))

    def _store(self, write: EntryWrite, head: EncryptedEntry | None) -> None:
        seq = self.feed.take()
        if head is None:
            fields = version_fields(write, self.now)
            fields.setdefault("created_at", write.created_at or self.now)
            row = EncryptedEntry(
                user=self.user, client_id=write.client_id, revision=1, seq=seq, **fields
            )
            self.creates.append(row)
            revision = 1
        else:
            self.updates.append((head, write, seq))
            revision = head.revision + 1
        self._result(
            write,
            PushStatus.STORED,
            revision=revision,
            seq=seq,
            resurrected=_resurrects(head, write),
        )

    def bytes_added(self) -> int:
        """Ciphertext bytes this plan stores: new versions (the old ones stay as history)
        and the local copies its conflicts keep."""
        written = [row.size_bytes for row in self.creates]
        written += [write_size(write) for _, write, _ in self.updates]
        written += [write_size(write) for _, _, write in self.conflicts]
        return sum(written)

    def quotas_check(self) -> None:
        # Each entry holds its own feed position, so while the feed (this write included)
        # is shorter than the quota the entries cannot pass it, and are not counted.
        if self.creates and self.feed.last_seq > quota_limit(Quota.ENTRIES):
            entries = EncryptedEntry.objects.filter(user=self.user).count()
            quota_check(Quota.ENTRIES, used=entries, adding=len(self.creates))
        storage_check(self.user, adding=self.bytes_added(), reserved=self.feed.storage)

    def apply(self) -> list[PushResult]:
        history_archive([head.pk for head, _, _ in self.updates])
        rows_insert(EncryptedEntry, self.creates)
        for head, write, seq in self.updates:
            entry_update(head, write, seq, self.now)
        history_trim([(head.pk, head.revision + 1) for head, _, _ in self.updates])
        conflict_ids = conflicts_record(self.user, self.conflicts, self.now)
        for index, conflict_id in conflict_ids.items():
            result = self.results[index]
            self.results[index] = PushResult(
                result.client_id, result.status, result.revision, result.seq, conflict_id
            )
        self.feed.settle()
        return self.results


def entries_push(*, user: User, writes: Sequence[EntryWrite]) -> list[PushResult]:
    """Store each pushed version by compare-and-swap on its entry's revision.

    All of a batch happens in one transaction: every stored version takes the next feed
    position, a byte-identical retry changes nothing, a stale one becomes (or updates)
    the pushing device's open conflict. A repeated id in the same batch is rejected. A
    batch that would pass a quota is refused whole (422 ``quota_exceeded``).
    """
    with transaction.atomic():
        feed = feed_write_open(
            user=user,
            required_tier=PrivacyTier.FULL_SYNC,
            device_ids=[write.device_id for write in writes],
            # At least what the batch stores (bytes_added): the bound is raised in the
            # statement that takes the feed position, one round trip less per push.
            storage_reserve=sum(write_size(write) for write in writes),
        )
        plan = _PushPlan(user, timezone.now(), feed, heads(user, (w.client_id for w in writes)))
        seen: set[str] = set()
        for write in writes:
            plan.add(write, duplicate=write.client_id in seen)
            seen.add(write.client_id)
        plan.quotas_check()
        return plan.apply()


def entry_delete(
    *, user: User, client_id: str, device_id: str | None, base_revision: int | None
) -> PushResult:
    """Turn an entry into a tombstone (content dropped, new revision and feed position).

    Without ``base_revision`` the delete is unconditional (older clients); with a stale
    one it is a conflict like a stale push, so a delete never silently wins over an edit.
    Deleting a tombstone again changes nothing.
    """
    with transaction.atomic():
        feed = feed_write_open(
            user=user, required_tier=PrivacyTier.FULL_SYNC, device_ids=[device_id or ""]
        )
        current = heads(user, [client_id])
        head = current.get(client_id)
        if head is None:
            raise entry_not_found()
        write = EntryWrite(
            client_id=client_id,
            device_id=device_id or "",
            base_revision=head.revision if base_revision is None else base_revision,
            content=None,
        )
        plan = _PushPlan(user, timezone.now(), feed, current)
        plan.add(write, duplicate=False)
        plan.quotas_check()
        return plan.apply()[0]

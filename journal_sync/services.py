"""Writes of encrypted entries: push (compare-and-swap), delete, resolve, wipe, purge, prune.

Every write runs in one transaction that share-locks the user's tier (``user_tier_lock``)
and then locks the user's sync row (``feed_seq_next`` or ``feed_lock``). That row lock
serializes all of one user's sync writes: what a write read cannot change before it
commits, first uploads of the same id cannot race, and feed positions commit in order.
"""

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache, cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, models, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from accounts.devices import device_seen
from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.quotas import storage_check
from accounts.tiers import PrivacyTier, tier_allows
from journal_sync.errors import SyncMessages, conflict_not_found, entry_not_found
from journal_sync.feed import feed_advance, feed_lock, feed_seq_next
from journal_sync.models import (
    EncryptedEntry,
    EntryConflict,
    EntryRevision,
    Resolution,
    SyncState,
)
from reflective.errors import ApiError
from reflective.lib.db.bulk import rows_insert
from reflective.lib.quotas import Quota, quota_check, quota_limit

CIPHERTEXT_FIELDS = (
    "encrypted_content",
    "content_iv",
    "content_tag",
    "encrypted_embedding",
    "embedding_iv",
)
# What an entry decision needs; the ciphertext itself stays in the database.
HEAD_FIELDS = ("id", "client_id", "revision", "seq", "fingerprint", "device_id", "deleted")


@dataclass(frozen=True)
class EntryContent:
    """The encrypted parts of one version, as the client sent them."""

    encrypted_content: bytes
    content_iv: bytes
    content_tag: bytes | None = None
    encrypted_embedding: bytes | None = None
    embedding_iv: bytes | None = None

    def parts(self) -> tuple[bytes | None, ...]:
        return tuple(getattr(self, name) for name in CIPHERTEXT_FIELDS)

    @property
    def size_bytes(self) -> int:
        return sum(len(part) for part in self.parts() if part is not None)


def content_fingerprint(content: EntryContent | None) -> str:
    """sha256 over every part, length-prefixed: equal only for byte-identical versions."""
    if content is None:
        return ""
    digest = hashlib.sha256()
    for part in content.parts():
        digest.update(b"-" if part is None else len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


@dataclass(frozen=True)
class EntryWrite:
    """One pushed version of an entry (``content`` None: a delete)."""

    client_id: str
    device_id: str
    base_revision: int | None
    content: EntryContent | None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @cached_property
    def fingerprint(self) -> str:
        return content_fingerprint(self.content)


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


def _lock_for_write(user: User, device_ids: Iterable[str], *, tier: str) -> int:
    """Take the tier and feed locks; return the last position before this write.

    One position is reserved at once (the lock and the increment are one statement), as
    almost every write stores exactly one version; ``_feed_settle`` corrects the count.
    """
    user_tier_lock(user=user, required_tier=tier)
    for device_id in sorted({device_id for device_id in device_ids if device_id}):
        device_seen(user=user, device_id=device_id)
    return feed_seq_next(user=user) - 1


def _feed_settle(user: User, *, before: int, used_up_to: int) -> None:
    """Make the counter say ``used_up_to`` when the write did not use exactly one position.

    Positions are invisible until commit and the lock is still held, so handing back an
    unused one (a no-op or a conflict) leaves no hole for any reader.
    """
    if used_up_to != before + 1:
        feed_advance(user=user, last_seq=used_up_to)


def _heads(user: User, client_ids: Iterable[str]) -> dict[str, EncryptedEntry]:
    """The current rows (``HEAD_FIELDS`` only) of the pushed ids, by id.

    Every push runs this, so the statement is written out rather than compiled by the
    ORM per request; the rows come back as ordinary (deferred) model instances.
    """
    wanted = sorted(set(client_ids))
    if not wanted:
        return {}
    placeholders = ", ".join(["%s"] * len(wanted))
    user_key = User._meta.pk.get_db_prep_value(user.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"{_heads_select()} ({placeholders})", [user_key, *wanted])
        rows = cursor.fetchall()
    heads = (EncryptedEntry.from_db(connection.alias, _head_columns(), row) for row in rows)
    return {head.client_id: head for head in heads}


@cache
def _head_columns() -> list[str]:
    # Model.from_db takes a partial row in the model's field order.
    fields = EncryptedEntry._meta.concrete_fields
    return [field.attname for field in fields if field.attname in HEAD_FIELDS]


@cache
def _heads_select() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in _head_columns())
    table = quote(EncryptedEntry._meta.db_table)
    return f"SELECT {columns} FROM {table} WHERE user_id = %s AND client_id IN"


def _version_fields(write: EntryWrite, now: datetime) -> dict[str, Any]:
    content = write.content
    fields: dict[str, Any] = dict.fromkeys(CIPHERTEXT_FIELDS)
    if content is not None:
        fields.update(zip(CIPHERTEXT_FIELDS, content.parts(), strict=True))
    fields.update(
        content_sha256=(
            "" if content is None else hashlib.sha256(content.encrypted_content).hexdigest()
        ),
        size_bytes=0 if content is None else content.size_bytes,
        deleted=content is None,
        device_id=write.device_id,
        fingerprint=write.fingerprint,
        updated_at=write.updated_at or now,
        stored_at=now,
    )
    if write.created_at is not None:
        fields["created_at"] = write.created_at
    return fields


@dataclass
class _PushPlan:
    """Decisions for one locked batch, then the few set-based writes that apply them."""

    user: User
    now: datetime
    seq: int
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
        self.seq += 1
        if head is None:
            fields = _version_fields(write, self.now)
            fields.setdefault("created_at", write.created_at or self.now)
            row = EncryptedEntry(
                user=self.user, client_id=write.client_id, revision=1, seq=self.seq, **fields
            )
            self.creates.append(row)
            revision = 1
        else:
            self.updates.append((head, write, self.seq))
            revision = head.revision + 1
        self._result(
            write,
            PushStatus.STORED,
            revision=revision,
            seq=self.seq,
            resurrected=_resurrects(head, write),
        )

    def bytes_added(self) -> int:
        """Ciphertext bytes this plan stores: new versions (the old ones stay as history)
        and the local copies its conflicts keep."""
        written = [row.size_bytes for row in self.creates]
        written += [_size_of(write) for _, write, _ in self.updates]
        written += [_size_of(write) for _, _, write in self.conflicts]
        return sum(written)

    def quotas_check(self) -> None:
        # Each entry holds its own feed position, so while the feed (this write included)
        # is shorter than the quota the entries cannot pass it, and are not counted.
        if self.creates and self.seq > quota_limit(Quota.ENTRIES):
            entries = EncryptedEntry.objects.filter(user=self.user).count()
            quota_check(Quota.ENTRIES, used=entries, adding=len(self.creates))
        storage_check(self.user, adding=self.bytes_added())

    def apply(self) -> list[PushResult]:
        _history_archive([head.pk for head, _, _ in self.updates])
        rows_insert(EncryptedEntry, self.creates)
        for head, write, seq in self.updates:
            _entry_update(head, write, seq, self.now)
        _history_trim([(head.pk, head.revision + 1) for head, _, _ in self.updates])
        conflict_ids = _conflicts_record(self.user, self.conflicts, self.now)
        for index, conflict_id in conflict_ids.items():
            result = self.results[index]
            self.results[index] = PushResult(
                result.client_id, result.status, result.revision, result.seq, conflict_id
            )
        return self.results


def _size_of(write: EntryWrite) -> int:
    return 0 if write.content is None else write.content.size_bytes


def entries_push(*, user: User, writes: Sequence[EntryWrite]) -> list[PushResult]:
    """Store each pushed version by compare-and-swap on its entry's revision.

    All of a batch happens in one transaction: every stored version takes the next feed
    position, a byte-identical retry changes nothing, a stale one becomes (or updates)
    the pushing device's open conflict. A repeated id in the same batch is rejected. A
    batch that would pass a quota is refused whole (422 ``quota_exceeded``).
    """
    with transaction.atomic():
        before = _lock_for_write(
            user, (write.device_id for write in writes), tier=PrivacyTier.FULL_SYNC
        )
        now = timezone.now()
        plan = _PushPlan(user, now, before, _heads(user, (w.client_id for w in writes)))
        seen: set[str] = set()
        for write in writes:
            plan.add(write, duplicate=write.client_id in seen)
            seen.add(write.client_id)
        plan.quotas_check()
        results = plan.apply()
        _feed_settle(user, before=before, used_up_to=plan.seq)
    return results


def entry_delete(
    *, user: User, client_id: str, device_id: str | None, base_revision: int | None
) -> PushResult:
    """Turn an entry into a tombstone (content dropped, new revision and feed position).

    Without ``base_revision`` the delete is unconditional (older clients); with a stale
    one it is a conflict like a stale push, so a delete never silently wins over an edit.
    Deleting a tombstone again changes nothing.
    """
    with transaction.atomic():
        before = _lock_for_write(user, [device_id or ""], tier=PrivacyTier.FULL_SYNC)
        heads = _heads(user, [client_id])
        head = heads.get(client_id)
        if head is None:
            raise entry_not_found()
        write = EntryWrite(
            client_id=client_id,
            device_id=device_id or "",
            base_revision=head.revision if base_revision is None else base_revision,
            content=None,
        )
        plan = _PushPlan(user, timezone.now(), before, heads)
        plan.add(write, duplicate=False)
        plan.quotas_check()
        result = plan.apply()[0]
        _feed_settle(user, before=before, used_up_to=plan.seq)
    return result


def _entry_update(head: EncryptedEntry, write: EntryWrite, seq: int, now: datetime) -> None:
    EncryptedEntry.objects.filter(pk=head.pk).update(
        revision=head.revision + 1, seq=seq, **_version_fields(write, now)
    )


# --- kept history ------------------------------------------------------------------
_ARCHIVED_COLUMNS = (
    *CIPHERTEXT_FIELDS,
    "content_sha256",
    "size_bytes",
    "deleted",
    "device_id",
    "created_at",
    "updated_at",
    "revision",
    "seq",
    "stored_at",
    "user_id",
)


def _history_archive(entry_pks: list[int]) -> None:
    """Copy the current versions of these entries into their history, inside the database.

    INSERT ... SELECT keeps up to a megabyte of ciphertext per entry from travelling to
    the application and back just to be archived.
    """
    if not entry_pks:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in _ARCHIVED_COLUMNS)
    placeholders = ", ".join(["%s"] * len(entry_pks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(EntryRevision._meta.db_table)} (entry_id, {columns}) "
            f"SELECT id, {columns} FROM {quote(EncryptedEntry._meta.db_table)} "
            f"WHERE id IN ({placeholders})",
            entry_pks,
        )


def _conflict_referenced() -> Exists:
    """True for a kept version that an open conflict shows as its remote version."""
    return Exists(
        EntryConflict.objects.filter(
            entry_id=OuterRef("entry_id"),
            remote_revision=OuterRef("revision"),
            resolved_at__isnull=True,
        )
    )


def _history_trim(current: list[tuple[int, int]]) -> int:
    """Keep the newest SYNC_REVISIONS_KEPT versions per entry, the current one included,
    and every version an open conflict refers to (at most one per open conflict)."""
    kept = int(settings.SYNC_REVISIONS_KEPT)
    condition = Q()
    for entry_pk, revision in current:
        if revision - kept >= 1:
            condition |= Q(entry_id=entry_pk, revision__lte=revision - kept)
    if not condition:
        return 0
    trimmed = EntryRevision.objects.filter(condition).exclude(_conflict_referenced())
    deleted, _ = trimmed.delete()
    return deleted


# --- conflicts ---------------------------------------------------------------------
def _conflict_fields(write: EntryWrite, remote: EncryptedEntry, now: datetime) -> dict[str, Any]:
    """The conflict's local copy and a reference (``remote_revision``) to the remote one."""
    local = write.content
    fields: dict[str, Any] = {f"local_{name}": None for name in CIPHERTEXT_FIELDS}
    if local is not None:
        fields.update(
            {
                f"local_{name}": part
                for name, part in zip(CIPHERTEXT_FIELDS, local.parts(), strict=True)
            }
        )
    fields.update(
        base_revision=write.base_revision,
        remote_revision=remote.revision,
        local_deleted=local is None,
        local_created_at=write.created_at,
        local_updated_at=write.updated_at,
        remote_deleted=remote.deleted,
        remote_device_id=remote.device_id,
        remote_updated_at=remote.updated_at,
        size_bytes=0 if local is None else local.size_bytes,
        detected_at=now,
    )
    return fields


def _conflicts_record(
    user: User, conflicts: list[tuple[int, EncryptedEntry, EntryWrite]], now: datetime
) -> dict[int, uuid.UUID]:
    """Create or refresh the open conflict of each (entry, pushing device)."""
    if not conflicts:
        return {}
    entry_pks = {head.pk for _, head, _ in conflicts}
    open_ids = {
        (row.entry_id, row.device_id): row.pk
        for row in EntryConflict.objects.filter(
            user=user, entry_id__in=entry_pks, resolved_at__isnull=True
        ).only("id", "entry_id", "device_id")
    }
    remotes = {
        row.pk: row for row in EncryptedEntry.objects.filter(pk__in=entry_pks).only(*REMOTE_FIELDS)
    }
    ids: dict[int, uuid.UUID] = {}
    created: list[EntryConflict] = []
    _open_conflicts_check(open_ids, conflicts)
    for index, head, write in conflicts:
        fields = _conflict_fields(write, remotes[head.pk], now)
        existing = open_ids.get((head.pk, write.device_id))
        if existing is not None:
            EntryConflict.objects.filter(pk=existing).update(**fields)
            ids[index] = existing
            continue
        conflict = EntryConflict(user=user, entry_id=head.pk, device_id=write.device_id, **fields)
        open_ids[(head.pk, write.device_id)] = conflict.pk
        created.append(conflict)
        ids[index] = conflict.pk
    EntryConflict.objects.bulk_create(created)
    return ids


# What a conflict records of the remote version; its ciphertext stays in the entry.
REMOTE_FIELDS = ("id", "revision", "deleted", "device_id", "updated_at")


def _open_conflicts_check(
    open_ids: dict[tuple[int, str], uuid.UUID],
    conflicts: list[tuple[int, EncryptedEntry, EntryWrite]],
) -> None:
    """Refuse a conflict that would pass QUOTA_OPEN_CONFLICTS_PER_ENTRY on its entry."""
    adding: dict[int, int] = {}
    for _, head, write in conflicts:
        if (head.pk, write.device_id) not in open_ids:
            adding[head.pk] = adding.get(head.pk, 0) + 1
    for entry_pk, count in adding.items():
        used = sum(1 for pk, _ in open_ids if pk == entry_pk)
        quota_check(Quota.OPEN_CONFLICTS_PER_ENTRY, used=used, adding=count)


@dataclass(frozen=True)
class ResolveResult:
    conflict_id: uuid.UUID
    client_id: str
    resolution: str
    revision: int
    seq: int


def conflict_resolve(
    *,
    user: User,
    conflict_id: uuid.UUID,
    chosen: str,
    final: EntryContent | None,
    device_id: str | None,
) -> ResolveResult:
    """Close an open conflict; ``local`` and ``merged`` are a new write of the entry.

    That write carries its own tag, embedding and the resolving device, takes a new
    revision and feed position (so every device pulls it), and is refused with
    ``conflict_stale`` if the entry moved on since the conflict was recorded. ``remote``
    keeps the server's version and only closes the conflict. A conflict closes once.
    """
    with transaction.atomic():
        before = _lock_for_write(user, [device_id or ""], tier=PrivacyTier.FULL_SYNC)
        conflict = EntryConflict.objects.filter(user=user, pk=conflict_id).first()
        if conflict is None:
            raise conflict_not_found()
        if conflict.resolved_at is not None:
            raise ApiError("conflict_resolved", SyncMessages.CONFLICT_RESOLVED, status=409)
        entry = EncryptedEntry.objects.only(*HEAD_FIELDS).get(pk=conflict.entry_id)
        now = timezone.now()
        if chosen == Resolution.REMOTE:
            _conflict_close(conflict, chosen, device_id, entry.revision, now)
            _feed_settle(user, before=before, used_up_to=before)
            return ResolveResult(conflict.pk, entry.client_id, chosen, entry.revision, entry.seq)
        if entry.revision != conflict.remote_revision:
            raise ApiError(
                "conflict_stale",
                SyncMessages.CONFLICT_STALE,
                status=409,
                extra={"current_revision": entry.revision},
            )
        write = EntryWrite(
            client_id=entry.client_id,
            device_id=device_id or conflict.device_id,
            base_revision=entry.revision,
            content=final if chosen == Resolution.MERGED else _local_content(conflict),
        )
        # The local copy is dropped as the new version is stored: only growth counts.
        storage_check(user, adding=_size_of(write) - conflict.size_bytes)
        seq = before + 1
        _history_archive([entry.pk])
        _entry_update(entry, write, seq, now)
        _history_trim([(entry.pk, entry.revision + 1)])
        _conflict_close(conflict, chosen, device_id, entry.revision + 1, now)
    return ResolveResult(conflict.pk, entry.client_id, chosen, entry.revision + 1, seq)


def _local_content(conflict: EntryConflict) -> EntryContent | None:
    content, iv = conflict.local_encrypted_content, conflict.local_content_iv
    if conflict.local_deleted or content is None or iv is None:
        return None
    return EntryContent(
        encrypted_content=bytes(content),
        content_iv=bytes(iv),
        content_tag=_bytes_or_none(conflict.local_content_tag),
        encrypted_embedding=_bytes_or_none(conflict.local_encrypted_embedding),
        embedding_iv=_bytes_or_none(conflict.local_embedding_iv),
    )


def _bytes_or_none(value: bytes | memoryview | None) -> bytes | None:
    return None if value is None else bytes(value)


def _conflict_close(
    conflict: EntryConflict, chosen: str, device_id: str | None, revision: int, now: datetime
) -> None:
    """Mark resolved and drop the local copy: the chosen version now lives in the entry."""
    cleared = {f"local_{name}": None for name in CIPHERTEXT_FIELDS}
    EntryConflict.objects.filter(pk=conflict.pk).update(
        resolved_at=now,
        resolution=chosen,
        resolved_device_id=device_id or "",
        resolved_revision=revision,
        size_bytes=0,
        **cleared,
    )


# --- wipe, purge, prune --------------------------------------------------------------
PURGE_KINDS = ("entries", "revisions", "conflicts", "backups")


def _delete_user_rows(model: type[models.Model], user_pk: Any) -> int:
    # Raw DELETE: the ORM would first load every entry (ciphertext included) into memory
    # to cascade; the children are deleted explicitly just before.
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE user_id = %s", [user_pk])
        return int(cursor.rowcount)


def _sync_data_delete(user: User) -> dict[str, int]:
    """Delete every entry, revision and conflict of ``user`` and invalidate old cursors."""
    position = feed_lock(user=user)
    user_pk = User._meta.pk.get_db_prep_value(user.pk, connection)
    conflicts = _delete_user_rows(EntryConflict, user_pk)
    revisions = _delete_user_rows(EntryRevision, user_pk)
    entries = _delete_user_rows(EncryptedEntry, user_pk)
    # Devices learn of these deletions through 410 resync_required, not tombstones.
    SyncState.objects.filter(user=user).update(pruned_seq=position.last_seq)
    return {
        "deleted_entries": entries,
        "deleted_revisions": revisions,
        "deleted_conflicts": conflicts,
        "deleted_backups": entries,
    }


def entries_wipe(*, user: User) -> dict[str, int]:
    """DELETE /sync/backup/content: every entry, revision and conflict, in one transaction.

    Allowed on any tier (deleting is always allowed); every device holding a cursor is
    told to resync.
    """
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.LOCAL_ONLY)
        return _sync_data_delete(user)


def sync_data_purge(user: AbstractBaseUser, tier: str) -> dict[str, int]:
    """The tier-change purger: below full_sync nothing of encrypted sync may remain.

    Runs inside the tier change's transaction, which holds the user's exclusive lock.
    """
    if tier_allows(tier, PrivacyTier.FULL_SYNC):
        return {f"deleted_{kind}": 0 for kind in PURGE_KINDS}
    assert isinstance(user, User)
    return _sync_data_delete(user)


def sync_prune(*, now: datetime, dry_run: bool = False) -> dict[str, int]:
    """Prune what retention no longer keeps; with ``dry_run`` only count it.

    Tombstones older than SYNC_TOMBSTONE_RETENTION_DAYS go with their history and
    conflicts, and each such user's prune watermark rises to the newest pruned position,
    so a device whose cursor is older gets 410 ``resync_required`` instead of silently
    missing a delete. History beyond SYNC_REVISIONS_KEPT (after the setting was lowered)
    goes too.
    """
    cutoff = now - timedelta(days=int(settings.SYNC_TOMBSTONE_RETENTION_DAYS))
    counts = {"pruned_tombstones": 0, "pruned_revisions": 0, "pruned_conflicts": 0}
    old = EncryptedEntry.objects.filter(deleted=True, stored_at__lt=cutoff)
    for user_id in old.order_by().values_list("user_id", flat=True).distinct():
        for name, count in _tombstones_prune(user_id, cutoff, dry_run=dry_run).items():
            counts[name] += count
    counts["pruned_revisions"] += _history_overflow_prune(dry_run=dry_run)
    return counts


def _tombstones_prune(user_id: Any, cutoff: datetime, *, dry_run: bool) -> dict[str, int]:
    with transaction.atomic():
        user = User(pk=user_id)
        position = feed_lock(user=user)
        tombstones = EncryptedEntry.objects.filter(
            user_id=user_id, deleted=True, stored_at__lt=cutoff
        )
        newest = tombstones.aggregate(newest=Max("seq"))["newest"]
        if newest is None:
            return {}
        revisions = EntryRevision.objects.filter(entry__in=tombstones)
        conflicts = EntryConflict.objects.filter(entry__in=tombstones)
        counts = {
            "pruned_tombstones": tombstones.count(),
            "pruned_revisions": revisions.count(),
            "pruned_conflicts": conflicts.count(),
        }
        if not dry_run:
            conflicts.delete()
            revisions.delete()
            tombstones.delete()
            SyncState.objects.filter(user_id=user_id).update(
                pruned_seq=max(position.pruned_seq, newest)
            )
        return counts


def _history_overflow_prune(*, dry_run: bool) -> int:
    kept = int(settings.SYNC_REVISIONS_KEPT)
    table = connection.ops.quote_name(EntryRevision._meta.db_table)
    with connection.cursor() as cursor:
        # The current version lives in the entry, so history keeps kept - 1 older ones.
        cursor.execute(
            "SELECT id FROM (SELECT id, ROW_NUMBER() OVER "
            f"(PARTITION BY entry_id ORDER BY revision DESC) AS newer, entry_id, revision "
            f"FROM {table}) ranked WHERE newer >= %s AND NOT EXISTS (SELECT 1 FROM "
            f"{connection.ops.quote_name(EntryConflict._meta.db_table)} conflict WHERE "
            "conflict.entry_id = ranked.entry_id AND conflict.remote_revision = ranked.revision "
            "AND conflict.resolved_at IS NULL)",
            [kept],
        )
        overflow = [row[0] for row in cursor.fetchall()]
    if overflow and not dry_run:
        EntryRevision.objects.filter(pk__in=overflow).delete()
    return len(overflow)

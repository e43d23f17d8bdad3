"""Conflicts: a stale push kept as the device's open conflict, and its resolution."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.quotas import storage_check
from accounts.tiers import PrivacyTier
from changefeed.feed import feed_write_open
from journal_sync.errors import SyncMessages, conflict_not_found
from journal_sync.models import EncryptedEntry, EntryConflict, Resolution
from journal_sync.services.history import history_archive, history_trim
from journal_sync.services.versions import (
    CIPHERTEXT_FIELDS,
    HEAD_FIELDS,
    EntryContent,
    EntryWrite,
    entry_update,
    write_size,
)
from reflective.errors import ApiError
from reflective.lib.quotas import Quota, quota_check

# What a conflict records of the remote version; its ciphertext stays in the entry.
REMOTE_FIELDS = ("id", "revision", "deleted", "device_id", "updated_at")


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


def conflicts_record(
    user: User, conflicts: list[tuple[int, EncryptedEntry, EntryWrite]], now: datetime
) -> dict[int, uuid.UUID]:
    """Create or refresh the open conflict of each (entry, pushing device).

    ``conflicts`` holds (result index, entry head, stale write); the answer maps each
    result index to its conflict's id.
    """
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
        feed = feed_write_open(
            user=user, required_tier=PrivacyTier.FULL_SYNC, device_ids=[device_id or ""]
        )
        conflict = EntryConflict.objects.filter(user=user, pk=conflict_id).first()
        if conflict is None:
            raise conflict_not_found()
        if conflict.resolved_at is not None:
            raise ApiError("conflict_resolved", SyncMessages.CONFLICT_RESOLVED, status=409)
        entry = EncryptedEntry.objects.only(*HEAD_FIELDS).get(pk=conflict.entry_id)
        now = timezone.now()
        if chosen == Resolution.REMOTE:
            _conflict_close(conflict, chosen, device_id, entry.revision, now)
            feed.settle()
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
        storage_check(user, adding=write_size(write) - conflict.size_bytes)
        seq = feed.take()
        history_archive([entry.pk])
        entry_update(entry, write, seq, now)
        history_trim([(entry.pk, entry.revision + 1)])
        _conflict_close(conflict, chosen, device_id, entry.revision + 1, now)
        feed.settle()
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

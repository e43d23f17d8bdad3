"""Open conflicts: byte-bounded pages, and the remote versions they refer to."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts.models import User
from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from journal_sync.selectors.feed import page_fit
from reflective.lib.db.snapshot import one_snapshot
from reflective.lib.replicas import reading_alias

# (entry pk, revision) -> the encrypted parts of that version of the entry.
RemoteVersions = dict[tuple[int, int], dict[str, Any]]

_PARTS = ("encrypted_content", "content_iv", "content_tag", "encrypted_embedding", "embedding_iv")

_CONFLICT_FIELDS = tuple(
    model_field.name
    for model_field in EntryConflict._meta.concrete_fields
    if model_field.name not in ("user", "entry")
)


@dataclass(frozen=True)
class ConflictPage:
    conflicts: list[EntryConflict]
    remotes: RemoteVersions
    total_count: int
    has_more: bool


def _open_conflicts(user: User) -> QuerySet[EntryConflict]:
    return EntryConflict.objects.filter(user=user, resolved_at__isnull=True).order_by(
        "detected_at", "id"
    )


def _with_versions(conflicts: QuerySet[EntryConflict]) -> QuerySet[EntryConflict]:
    return conflicts.select_related("entry").only("entry__client_id", *_CONFLICT_FIELDS)


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
    budget (``page_fit``): sizes are read first, then only the conflicts that fit, both
    from one snapshot. A remote version shared by many conflicts is read once. The order
    (detected_at, id) is stable, and ``total_count`` counts every open conflict.
    """
    with one_snapshot(reading_alias()):
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

"""The kept history of an entry: older versions archived as a new one is stored."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from journal_sync.services.versions import CIPHERTEXT_FIELDS
from reflective.lib.db.entries import versions_archive

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


def history_archive(entry_pks: list[int]) -> None:
    """Copy the current versions of these entries into their history, inside the database."""
    versions_archive(EncryptedEntry, EntryRevision, entry_pks, _ARCHIVED_COLUMNS)


def conflict_referenced() -> Exists:
    """True for a kept version that an open conflict shows as its remote version."""
    return Exists(
        EntryConflict.objects.filter(
            entry_id=OuterRef("entry_id"),
            remote_revision=OuterRef("revision"),
            resolved_at__isnull=True,
        )
    )


def history_trim(current: list[tuple[int, int]]) -> int:
    """Keep the newest SYNC_REVISIONS_KEPT versions per entry, the current one included,
    and every version an open conflict refers to (at most one per open conflict)."""
    kept = int(settings.SYNC_REVISIONS_KEPT)
    condition = Q()
    for entry_pk, revision in current:
        if revision - kept >= 1:
            condition |= Q(entry_id=entry_pk, revision__lte=revision - kept)
    if not condition:
        return 0
    trimmed = EntryRevision.objects.filter(condition).exclude(conflict_referenced())
    deleted, _ = trimmed.delete()
    return deleted

"""The account export's rows: entries, history and conflicts, a chunk at a time.

Export reads rows with ciphertext EXPORT_ROWS_PER_FETCH at a time through a server-side
cursor, so its memory is a few rows of up to 2 MiB each, whatever the account holds.
"""

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from journal_sync.selectors.conflicts import RemoteVersions, remote_versions
from journal_sync.selectors.feed import FEED_FIELDS


def _export_chunk() -> int:
    return int(settings.EXPORT_ROWS_PER_FETCH)


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

"""Encrypted sync's part in the account-wide operations: tier purge, export, stats."""

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from journal_sync.selectors.export import (
    conflicts_for_export,
    entries_for_export,
    revisions_for_export,
)
from journal_sync.selectors.summary import (
    sync_stats,
    sync_storage_bytes,
    sync_usage,
    writing_summary,
)
from journal_sync.serializers.responses import conflict_json, feed_entry_json
from journal_sync.services.retention import PURGE_KINDS, sync_data_purge
from reflective.lib.user_data import user_data


def export_entries(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    for row in entries_for_export(user):
        yield feed_entry_json(row)


def export_revisions(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    for row in revisions_for_export(user):
        yield feed_entry_json({**row, "client_id": row["entry__client_id"]})


def export_conflicts(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    for conflict, remotes in conflicts_for_export(user):
        yield conflict_json(conflict, remotes)


def register() -> None:
    user_data.register_purger(sync_data_purge, kinds=PURGE_KINDS)
    user_data.register_exporter("entries", export_entries)
    user_data.register_exporter("entry_revisions", export_revisions)
    user_data.register_exporter("entry_conflicts", export_conflicts)
    user_data.register_stats(sync_stats)
    user_data.register_usage(sync_usage)
    user_data.register_storage(sync_storage_bytes)
    user_data.register_profile(writing_summary)

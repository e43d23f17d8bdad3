"""0004 turns stored copies of remote versions into references, and back."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("journal_sync", "0003_drop_redundant_indexes")]
AFTER = [("journal_sync", "0004_conflict_remote_reference")]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _migrate(target: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def _old_conflict(apps: Any, *, trimmed: bool) -> Any:
    user = apps.get_model("accounts", "User").objects.create(email=f"m{trimmed}@example.com")
    entry = apps.get_model("journal_sync", "EncryptedEntry").objects.create(
        user=user,
        client_id="entry-1",
        revision=3,
        seq=3,
        stored_at=NOW,
        encrypted_content=b"current",
        content_iv=b"i" * 12,
        size_bytes=19,
    )
    if not trimmed:
        apps.get_model("journal_sync", "EntryRevision").objects.create(
            entry=entry,
            user=user,
            revision=1,
            seq=1,
            stored_at=NOW,
            encrypted_content=b"remote",
            content_iv=b"r" * 12,
            size_bytes=18,
        )
    return apps.get_model("journal_sync", "EntryConflict").objects.create(
        user=user,
        entry=entry,
        device_id="phone",
        remote_revision=1,
        detected_at=NOW,
        local_encrypted_content=b"local",
        local_content_iv=b"l" * 12,
        remote_encrypted_content=b"remote",
        remote_content_iv=b"r" * 12,
        remote_device_id="laptop",
        size_bytes=17 + 18,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trimmed", [False, True])
def test_copies_become_references_and_back(trimmed: bool) -> None:
    apps = _migrate(BEFORE)
    conflict_id = _old_conflict(apps, trimmed=trimmed).pk

    apps = _migrate(AFTER)
    revision = apps.get_model("journal_sync", "EntryRevision").objects.get(revision=1)
    assert (bytes(revision.encrypted_content), revision.device_id) == (
        b"remote",
        "" if not trimmed else "laptop",
    )
    conflict = apps.get_model("journal_sync", "EntryConflict").objects.get(pk=conflict_id)
    assert conflict.size_bytes == 17

    apps = _migrate(BEFORE)
    conflict = apps.get_model("journal_sync", "EntryConflict").objects.get(pk=conflict_id)
    assert bytes(conflict.remote_encrypted_content) == b"remote"
    assert conflict.size_bytes == 17 + 18
    _migrate(AFTER)

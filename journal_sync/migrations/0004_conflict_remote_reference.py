"""Conflicts reference the remote version instead of copying it.

Forward: an open conflict whose remote version is no longer the entry's current one nor
in its kept history (it was trimmed while the conflict was open) gets that version put
back into the history from the conflict's copy, so every reference resolves; then the
copies are dropped and ``size_bytes`` counts the local copy only. Backward: the copies
are filled in again from the entry or its history.
"""

from typing import Any

from django.db import migrations

REMOTE_PARTS = (
    "encrypted_content",
    "content_iv",
    "content_tag",
    "encrypted_embedding",
    "embedding_iv",
)


def _size(row: Any, prefix: str) -> int:
    return sum(len(part) for name in REMOTE_PARTS if (part := getattr(row, prefix + name)))


def _restore_missing_versions(apps: Any, schema_editor: Any) -> None:
    conflict_model = apps.get_model("journal_sync", "EntryConflict")
    revision_model = apps.get_model("journal_sync", "EntryRevision")
    open_conflicts = conflict_model.objects.filter(resolved_at__isnull=True).select_related("entry")
    for conflict in open_conflicts.iterator(chunk_size=8):
        entry = conflict.entry
        kept = (
            entry.revision == conflict.remote_revision
            or revision_model.objects.filter(
                entry_id=entry.pk, revision=conflict.remote_revision
            ).exists()
        )
        if not kept:
            revision_model.objects.create(
                entry_id=entry.pk,
                user_id=conflict.user_id,
                revision=conflict.remote_revision,
                # The version's feed position was not recorded; it is older than the entry's.
                seq=0,
                stored_at=conflict.detected_at,
                deleted=conflict.remote_deleted,
                device_id=conflict.remote_device_id,
                updated_at=conflict.remote_updated_at,
                size_bytes=_size(conflict, "remote_"),
                **{name: getattr(conflict, f"remote_{name}") for name in REMOTE_PARTS},
            )
    for conflict in conflict_model.objects.only(
        "pk", *(f"local_{name}" for name in REMOTE_PARTS)
    ).iterator(chunk_size=8):
        conflict_model.objects.filter(pk=conflict.pk).update(size_bytes=_size(conflict, "local_"))


def _copy_versions_back(apps: Any, schema_editor: Any) -> None:
    conflict_model = apps.get_model("journal_sync", "EntryConflict")
    revision_model = apps.get_model("journal_sync", "EntryRevision")
    open_conflicts = conflict_model.objects.filter(resolved_at__isnull=True).select_related("entry")
    for conflict in open_conflicts.iterator(chunk_size=8):
        source: Any = conflict.entry
        if source.revision != conflict.remote_revision:
            source = revision_model.objects.filter(
                entry_id=conflict.entry_id, revision=conflict.remote_revision
            ).first()
        if source is None:
            continue
        parts = {f"remote_{name}": getattr(source, name) for name in REMOTE_PARTS}
        conflict_model.objects.filter(pk=conflict.pk).update(
            size_bytes=_size(conflict, "local_") + source.size_bytes, **parts
        )


class Migration(migrations.Migration):
    dependencies = [("journal_sync", "0003_drop_redundant_indexes")]

    operations = [
        migrations.RunPython(_restore_missing_versions, _copy_versions_back),
        *(
            migrations.RemoveField(model_name="entryconflict", name=f"remote_{name}")
            for name in REMOTE_PARTS
        ),
    ]

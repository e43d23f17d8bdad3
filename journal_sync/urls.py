from django.urls import URLPattern, path

from journal_sync.serializers.fields import ENTRY_ID_REGEX, RESERVED_ENTRY_IDS
from journal_sync.views import ConflictViewSet, ContentViewSet, EntryViewSet, SyncStateViewSet
from reflective.lib.converters import register_id_converter

register_id_converter("entry_id", ENTRY_ID_REGEX, reserved=RESERVED_ENTRY_IDS)

urlpatterns: list[URLPattern] = [
    path(
        "sync/entries", EntryViewSet.as_view({"get": "list", "post": "create"}), name="sync-entries"
    ),
    path("sync/batch", EntryViewSet.as_view({"post": "batch"}), name="sync-batch"),
    path(
        "sync/entries/<entry_id:entry_id>",
        EntryViewSet.as_view({"delete": "destroy"}),
        name="sync-entry",
    ),
    path(
        "sync/entries/<entry_id:entry_id>/revisions",
        EntryViewSet.as_view({"get": "revisions"}),
        name="sync-entry-revisions",
    ),
    path("sync/content", ContentViewSet.as_view({"delete": "destroy"}), name="sync-content"),
    path("sync/conflicts", ConflictViewSet.as_view({"get": "list"}), name="sync-conflicts"),
    path(
        "sync/conflicts/<uuid:conflict_id>/resolve",
        ConflictViewSet.as_view({"post": "resolve"}),
        name="sync-conflict-resolve",
    ),
    path("sync/state", SyncStateViewSet.as_view({"get": "retrieve"}), name="sync-state"),
]

# Legacy aliases, kept for clients released before the entries were called entries: push
# was `sync/backup`, pull `sync/backups`. Each answers exactly like its canonical path (a
# test compares them) and is documented as deprecated in the schema. Never remove one
# while a supported client still calls it.
urlpatterns += [
    path(
        "sync/backup",
        EntryViewSet.as_view({"post": "create"}, alias_of="/api/sync/entries"),
        name="sync-backup",
    ),
    path(
        "sync/backups",
        EntryViewSet.as_view({"get": "list"}, alias_of="/api/sync/entries"),
        name="sync-backups",
    ),
    # Before the <entry_id> route: "content" is a reserved entry id.
    path(
        "sync/backup/content",
        ContentViewSet.as_view({"delete": "destroy"}, alias_of="/api/sync/content"),
        name="sync-backup-content",
    ),
    path(
        "sync/backup/<entry_id:entry_id>",
        EntryViewSet.as_view({"delete": "destroy"}, alias_of="/api/sync/entries/{entry_id}"),
        name="sync-backup-item",
    ),
    path(
        "sync/backups/<entry_id:entry_id>/revisions",
        EntryViewSet.as_view(
            {"get": "revisions"}, alias_of="/api/sync/entries/{entry_id}/revisions"
        ),
        name="sync-backup-revisions",
    ),
]

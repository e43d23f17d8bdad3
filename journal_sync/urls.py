from django.urls import URLPattern, path

from journal_sync import views
from journal_sync.serializers import ENTRY_ID_REGEX, RESERVED_ENTRY_IDS
from reflective.lib.converters import register_id_converter

register_id_converter("entry_id", ENTRY_ID_REGEX, reserved=RESERVED_ENTRY_IDS)

urlpatterns: list[URLPattern] = [
    path("sync/backup", views.BackupPushView.as_view(), name="sync-backup"),
    path("sync/batch", views.BatchPushView.as_view(), name="sync-batch"),
    path("sync/backups", views.BackupListView.as_view(), name="sync-backups"),
    # Before the <entry_id> route: "content" is a reserved entry id.
    path("sync/backup/content", views.ContentWipeView.as_view(), name="sync-content"),
    path(
        "sync/backup/<entry_id:entry_id>", views.BackupDeleteView.as_view(), name="sync-backup-item"
    ),
    path(
        "sync/backups/<entry_id:entry_id>/revisions",
        views.RevisionListView.as_view(),
        name="sync-revisions",
    ),
    path("sync/conflicts", views.ConflictListView.as_view(), name="sync-conflicts"),
    path(
        "sync/conflicts/<uuid:conflict_id>/resolve",
        views.ConflictResolveView.as_view(),
        name="sync-conflict-resolve",
    ),
    path("sync/state", views.SyncStateView.as_view(), name="sync-state"),
]

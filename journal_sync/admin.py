"""Operators see sync metadata and ciphertext sizes, never ciphertext bytes."""

from django.contrib import admin

from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from reflective.lib.admin import ReadOnlyAdmin

# Each admin lists its fields explicitly: a new binary column stays hidden until someone
# decides it is safe to show.


@admin.register(EncryptedEntry)
class EncryptedEntryAdmin(ReadOnlyAdmin):
    list_display = ("client_id", "user", "revision", "seq", "deleted", "size_bytes", "stored_at")
    list_filter = ("deleted",)
    search_fields = ("client_id", "user__email")
    list_select_related = ("user",)
    fields = (
        "user",
        "client_id",
        "revision",
        "seq",
        "deleted",
        "size_bytes",
        "content_sha256",
        "device_id",
        "created_at",
        "updated_at",
        "stored_at",
    )


@admin.register(EntryRevision)
class EntryRevisionAdmin(ReadOnlyAdmin):
    list_display = ("entry", "user", "revision", "seq", "deleted", "size_bytes", "stored_at")
    list_select_related = ("entry", "user")
    search_fields = ("entry__client_id", "user__email")
    fields = (
        "entry",
        "user",
        "revision",
        "seq",
        "deleted",
        "size_bytes",
        "content_sha256",
        "device_id",
        "created_at",
        "updated_at",
        "stored_at",
    )


@admin.register(EntryConflict)
class EntryConflictAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "entry", "device_id", "size_bytes", "detected_at", "resolution")
    list_filter = ("resolution",)
    list_select_related = ("entry", "user")
    search_fields = ("entry__client_id", "user__email", "device_id")
    fields = (
        "user",
        "entry",
        "device_id",
        "base_revision",
        "remote_revision",
        "local_deleted",
        "remote_deleted",
        "remote_device_id",
        "size_bytes",
        "detected_at",
        "resolved_at",
        "resolution",
        "resolved_device_id",
        "resolved_revision",
    )

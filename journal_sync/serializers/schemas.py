"""The shapes of the sync responses, as serializers for the OpenAPI schema only.

The responses themselves are built by ``serializers.responses``; a test keeps the two in
step.
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


class FeedEntryOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.CharField()
    revision = serializers.IntegerField()
    seq = serializers.IntegerField()
    deleted = serializers.BooleanField()
    encrypted_content = serializers.CharField(allow_null=True, help_text="base64")
    content_iv = serializers.CharField(allow_null=True, help_text="base64")
    content_tag = serializers.CharField(allow_null=True, help_text="base64")
    encrypted_embedding = serializers.CharField(allow_null=True, help_text="base64")
    embedding_iv = serializers.CharField(allow_null=True, help_text="base64")
    content_sha256 = serializers.CharField(allow_null=True, help_text="hex sha256")
    device_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    stored_at = serializers.DateTimeField()


@extend_schema_serializer(many=False)  # a page object, though the action is `list`
class FeedPageOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    backups = FeedEntryOutSerializer(many=True)
    total_count = serializers.IntegerField(help_text="entries in this page (older clients)")
    next_cursor = serializers.CharField()
    has_more = serializers.BooleanField()


class PushResultOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["stored", "unchanged", "conflict", "rejected"])
    revision = serializers.IntegerField(allow_null=True)
    seq = serializers.IntegerField(allow_null=True)
    conflict_id = serializers.UUIDField(required=False)
    current_revision = serializers.IntegerField(required=False)
    error = serializers.CharField(required=False, help_text="code of a rejected item")
    detail = serializers.CharField(required=False, help_text="why the item was rejected")
    resurrected = serializers.BooleanField(
        required=False, help_text="present (true) when the write brought back a deleted entry"
    )


class BatchResultOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    results = PushResultOutSerializer(many=True)


class ConflictErrorOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    detail = serializers.CharField()
    conflict_id = serializers.UUIDField()
    log_id = serializers.CharField()
    current_revision = serializers.IntegerField()


class ConflictVersionOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    deleted = serializers.BooleanField()
    encrypted_content = serializers.CharField(allow_null=True)
    iv = serializers.CharField(allow_null=True)
    tag = serializers.CharField(allow_null=True)
    encrypted_embedding = serializers.CharField(allow_null=True)
    embedding_iv = serializers.CharField(allow_null=True)
    device_id = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    revision = serializers.IntegerField(required=False, help_text="remote version only")
    base_revision = serializers.IntegerField(
        required=False, allow_null=True, help_text="local version only"
    )
    created_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="local version only"
    )


class ConflictOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.UUIDField()
    log_id = serializers.CharField(help_text="the entry id")
    device_id = serializers.CharField()
    local_version = ConflictVersionOutSerializer()
    remote_version = ConflictVersionOutSerializer()
    detected_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution = serializers.CharField(allow_null=True)


@extend_schema_serializer(many=False)  # a page object, though the action is `list`
class ConflictListOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    conflicts = ConflictOutSerializer(many=True)
    total_count = serializers.IntegerField(help_text="every open conflict, on all pages")
    has_more = serializers.BooleanField()
    next_cursor = serializers.CharField(
        allow_null=True, help_text="pass as `cursor` for the next page; null on the last page"
    )


class ResolveOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    conflict_id = serializers.UUIDField()
    id = serializers.CharField()
    resolution = serializers.CharField()
    revision = serializers.IntegerField()
    seq = serializers.IntegerField()


class RevisionListOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.CharField()
    revisions = FeedEntryOutSerializer(many=True)


class SyncStateOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    cursor = serializers.CharField()
    entry_count = serializers.IntegerField()
    bytes_stored = serializers.IntegerField()
    digest = serializers.CharField(help_text="sha256 of sorted '<id>:<revision>\\n' lines")


class PurgeCountsOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    deleted_entries = serializers.IntegerField()
    deleted_revisions = serializers.IntegerField()
    deleted_conflicts = serializers.IntegerField()
    deleted_backups = serializers.IntegerField(help_text="alias of deleted_entries")

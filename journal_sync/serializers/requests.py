"""Request serializers: every sync body and query string is validated here."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import serializers

from journal_sync.cursor import conflict_cursor_decode, cursor_decode
from journal_sync.errors import SyncMessages
from journal_sync.models import Resolution
from journal_sync.serializers.fields import (
    StrictIntegerField,
    ciphertext_field,
    device_id_field,
    entry_id_field,
    gcm_tag_field,
    iv_field,
    optional,
)
from journal_sync.services.versions import EntryContent, EntryWrite
from reflective.errors import ApiError
from reflective.lib.fields import (
    CIPHERTEXT_TOO_LARGE,
    POSITION_MAX,
    AwareDateTimeField,
    StrictSerializer,
)


class _CiphertextRequest(StrictSerializer):
    """A request carrying entry ciphertexts: one over the byte limit is a 422, not a 400."""

    @staticmethod
    def oversized_error(errors: Any) -> ApiError:
        limit = int(settings.ENTRY_CIPHERTEXT_MAX_BYTES)
        return ApiError(
            CIPHERTEXT_TOO_LARGE,
            SyncMessages.CIPHERTEXT_TOO_LARGE.format(limit=limit),
            status=422,
            fields=dict(errors),
            extra={"limit": limit},
        )


class EntryPushSerializer(_CiphertextRequest):
    validates_on_prototype = True  # keeps no state: reflective.lib.fields.validated_input
    id = entry_id_field()
    encrypted_content = ciphertext_field()
    content_iv = iv_field()
    content_tag = gcm_tag_field(**optional())
    encrypted_embedding = ciphertext_field(**optional())
    embedding_iv = iv_field(**optional())
    created_at = AwareDateTimeField(**optional())
    updated_at = AwareDateTimeField(**optional())
    device_id = device_id_field()
    base_revision = StrictIntegerField(min_value=0, max_value=POSITION_MAX, **optional())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("encrypted_embedding") is None) != (attrs.get("embedding_iv") is None):
            raise serializers.ValidationError({"embedding_iv": [SyncMessages.EMBEDDING_PAIR]})
        return attrs


def entry_write(data: Mapping[str, Any]) -> EntryWrite:
    return EntryWrite(
        client_id=data["id"],
        device_id=data["device_id"],
        base_revision=data.get("base_revision"),
        content=EntryContent(
            encrypted_content=data["encrypted_content"],
            content_iv=data["content_iv"],
            content_tag=data.get("content_tag"),
            encrypted_embedding=data.get("encrypted_embedding"),
            embedding_iv=data.get("embedding_iv"),
        ),
        created_at=data.get("created_at"),
        updated_at=data.get("updated_at"),
    )


class BatchPushSerializer(_CiphertextRequest):
    items = serializers.ListField(child=EntryPushSerializer(), allow_empty=False)

    def to_internal_value(self, data: Any) -> Any:
        # Count before validating: 101 items of a megabyte each are refused unread.
        items = data.get("items") if isinstance(data, Mapping) else None
        limit = int(settings.SYNC_BATCH_MAX_ITEMS)
        if isinstance(items, list) and len(items) > limit:
            message = SyncMessages.BATCH_TOO_LARGE.format(limit=limit)
            raise ApiError(
                "batch_too_large", message, fields={"items": [message]}, extra={"limit": limit}
            )
        return super().to_internal_value(data)


class FeedQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    cursor = serializers.CharField(required=False, trim_whitespace=False)
    since = AwareDateTimeField(required=False)
    limit = serializers.IntegerField(
        required=False, default=100, min_value=1, max_value=settings.SYNC_PAGE_MAX_ITEMS
    )
    device_id = device_id_field(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "cursor" in attrs and "since" in attrs:
            raise serializers.ValidationError({"cursor": [SyncMessages.CURSOR_AND_SINCE]})
        if "cursor" in attrs:
            attrs["after_seq"] = cursor_decode(attrs["cursor"])
        return attrs


class ConflictQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    cursor = serializers.CharField(required=False, trim_whitespace=False)
    limit = serializers.IntegerField(
        required=False, default=100, min_value=1, max_value=settings.SYNC_PAGE_MAX_ITEMS
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["after"] = conflict_cursor_decode(attrs["cursor"]) if "cursor" in attrs else None
        return attrs


class DeleteQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    device_id = device_id_field(required=False)
    base_revision = serializers.IntegerField(required=False, min_value=0, max_value=POSITION_MAX)


class ResolveSerializer(_CiphertextRequest):
    chosen_version = serializers.ChoiceField(choices=Resolution.choices)
    final_encrypted_content = ciphertext_field(**optional())
    final_iv = iv_field(**optional())
    final_tag = gcm_tag_field(**optional())
    final_encrypted_embedding = ciphertext_field(**optional())
    final_embedding_iv = iv_field(**optional())
    device_id = device_id_field(**optional())

    FINAL_FIELDS = (
        "final_encrypted_content",
        "final_iv",
        "final_tag",
        "final_encrypted_embedding",
        "final_embedding_iv",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sent = {name for name in self.FINAL_FIELDS if attrs.get(name) is not None}
        if attrs["chosen_version"] != Resolution.MERGED:
            if sent:
                raise serializers.ValidationError(
                    {name: [SyncMessages.FINAL_ONLY_WHEN_MERGED] for name in sorted(sent)}
                )
            return attrs
        missing = {"final_encrypted_content", "final_iv"} - sent
        if missing:
            raise serializers.ValidationError(
                {name: [SyncMessages.MERGED_NEEDS_CONTENT] for name in sorted(missing)}
            )
        if ("final_encrypted_embedding" in sent) != ("final_embedding_iv" in sent):
            raise serializers.ValidationError({"final_embedding_iv": [SyncMessages.EMBEDDING_PAIR]})
        return attrs


def resolve_content(data: Mapping[str, Any]) -> EntryContent | None:
    if data["chosen_version"] != Resolution.MERGED:
        return None
    return EntryContent(
        encrypted_content=data["final_encrypted_content"],
        content_iv=data["final_iv"],
        content_tag=data.get("final_tag"),
        encrypted_embedding=data.get("final_encrypted_embedding"),
        embedding_iv=data.get("final_embedding_iv"),
    )

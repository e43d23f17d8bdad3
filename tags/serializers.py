"""Validate and shape tag requests and answers; tag names only ever travel encrypted."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from reflective.errors import ApiError
from reflective.lib.fields import (
    CIPHERTEXT_TOO_LARGE,
    POSITION_MAX,
    Base64BytesField,
    StrictSerializer,
)
from tags.colors import color_is_valid
from tags.messages import TagMessages
from tags.models import (
    GCM_TAG_BYTES,
    NAME_CIPHERTEXT_MAX_BYTES,
    NAME_DIGEST_BYTES,
    NAME_IV_BYTES,
    Tag,
)

# Cleanup windows beyond a century are mistakes, and would overflow date arithmetic.
CLEANUP_MAX_DAYS = 36_500


def _name_ciphertext_field(**kwargs: Any) -> Base64BytesField:
    return Base64BytesField(
        max_bytes=NAME_CIPHERTEXT_MAX_BYTES, too_long_code=CIPHERTEXT_TOO_LARGE, **kwargs
    )


def _check_length(value: bytes, size: int, message: str) -> bytes:
    if len(value) != size:
        raise serializers.ValidationError(message)
    return value


class _EncryptedNameInput(StrictSerializer):
    """Shared checks of the encrypted name, its nonce, its digest and the color."""

    @staticmethod
    def oversized_error(errors: Any) -> ApiError:
        """An encrypted name over the limit is a 422 that names the limit."""
        detail = TagMessages.NAME_TOO_LARGE.format(limit=NAME_CIPHERTEXT_MAX_BYTES)
        return ApiError(
            CIPHERTEXT_TOO_LARGE, detail, status=422, fields={"encrypted_name": [detail]}
        )

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys") and "name" in data:
            raise ApiError(
                "plaintext_name",
                TagMessages.PLAINTEXT_NAME,
                fields={"name": [TagMessages.PLAINTEXT_NAME]},
            )
        return super().to_internal_value(data)

    def validate_encrypted_name(self, value: bytes) -> bytes:
        if len(value) <= GCM_TAG_BYTES:
            raise serializers.ValidationError(TagMessages.NAME_TOO_SHORT)
        return value

    def validate_name_iv(self, value: bytes) -> bytes:
        return _check_length(value, NAME_IV_BYTES, TagMessages.NAME_IV_LENGTH)

    def validate_name_digest(self, value: bytes) -> bytes:
        return _check_length(value, NAME_DIGEST_BYTES, TagMessages.NAME_DIGEST_LENGTH)

    def validate_color(self, value: str | None) -> str | None:
        if value is not None and not color_is_valid(value):
            raise serializers.ValidationError(TagMessages.COLOR)
        return value


class TagCreateSerializer(_EncryptedNameInput):
    encrypted_name = _name_ciphertext_field()
    name_iv = Base64BytesField()
    name_digest = Base64BytesField()
    color = serializers.CharField(required=False, allow_null=True, max_length=16)


class TagUpdateSerializer(_EncryptedNameInput):
    encrypted_name = _name_ciphertext_field(required=False)
    name_iv = Base64BytesField(required=False)
    name_digest = Base64BytesField(required=False)
    color = serializers.CharField(required=False, max_length=16)
    base_revision = serializers.IntegerField(required=False, min_value=1, max_value=POSITION_MAX)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("encrypted_name" in attrs) != ("name_iv" in attrs):
            raise serializers.ValidationError(TagMessages.NAME_PARTS_TOGETHER)
        if not attrs.keys() - {"base_revision"}:
            raise serializers.ValidationError(TagMessages.NOTHING_TO_UPDATE)
        return attrs


class TagListQuerySerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        required=False, default=100, min_value=1, max_value=settings.SYNC_PAGE_MAX_ITEMS
    )
    offset = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=POSITION_MAX
    )
    cursor = serializers.IntegerField(required=False, min_value=0, max_value=POSITION_MAX)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "cursor" in attrs and "offset" in self.initial_data:
            raise serializers.ValidationError({"offset": [TagMessages.CURSOR_WITH_OFFSET]})
        return attrs


class TagCleanupQuerySerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField(min_value=1, max_value=CLEANUP_MAX_DAYS)


class TagSerializer(serializers.ModelSerializer[Tag]):
    # null on a deleted tag: its name, nonce and digest are erased.
    encrypted_name = Base64BytesField(read_only=True, allow_null=True)
    name_iv = Base64BytesField(read_only=True, allow_null=True)
    name_digest = Base64BytesField(read_only=True, allow_null=True)
    deleted = serializers.BooleanField(read_only=True)

    class Meta:
        model = Tag
        fields = [
            "id",
            "encrypted_name",
            "name_iv",
            "name_digest",
            "color",
            "created_at",
            "last_used_at",
            "updated_at",
            "deleted",
            "deleted_at",
            "revision",
            "seq",
        ]
        read_only_fields = fields


class TagPageSerializer(serializers.Serializer[Any]):
    tags = TagSerializer(many=True)
    total_count = serializers.IntegerField()
    has_more = serializers.BooleanField()


class TagChangesSerializer(serializers.Serializer[Any]):
    tags = TagSerializer(many=True, help_text="Changed tags in feed order, tombstones included.")
    next_cursor = serializers.IntegerField()
    has_more = serializers.BooleanField()


class TagCleanupResultSerializer(serializers.Serializer[Any]):
    deleted_count = serializers.IntegerField()

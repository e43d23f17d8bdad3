"""Validate sync requests and shape sync responses.

Responses are built by plain functions (a 500-entry page through DRF serializers costs
more than the database work); the ``*OutSerializer`` classes describe the same shapes
for the OpenAPI schema, and a test keeps the two in step.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from accounts.devices import DEVICE_ID_PATTERN, DeviceMessages
from journal_sync.cursor import (
    conflict_cursor_decode,
    conflict_cursor_encode,
    cursor_decode,
    cursor_encode,
)
from journal_sync.errors import SyncMessages
from journal_sync.models import EntryConflict, Resolution
from journal_sync.selectors.conflicts import ConflictPage, RemoteVersions
from journal_sync.services.push import PushResult
from journal_sync.services.versions import CIPHERTEXT_FIELDS, EntryContent, EntryWrite
from reflective.errors import ApiError, Messages
from reflective.lib.fields import (
    POSITION_MAX,
    AwareDateTimeField,
    Base64BytesField,
    StrictSerializer,
    b64encode,
)

CIPHERTEXT_TOO_LARGE = "ciphertext_too_large"
# Also the path converter of entry ids (journal_sync/urls.py): one rule for both.
ENTRY_ID_REGEX = r"[A-Za-z0-9_-]{1,64}"
ENTRY_ID_PATTERN = rf"^{ENTRY_ID_REGEX}\Z"
RESERVED_ENTRY_IDS = frozenset({"content"})


# --- fields --------------------------------------------------------------------------
class StrictCharField(serializers.CharField):
    """A JSON string only: DRF would turn 123 or true into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(SyncMessages.NOT_A_STRING, code="invalid")
        return str(super().to_internal_value(data))


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: DRF would accept "3", 3.0 and true."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(SyncMessages.NOT_AN_INTEGER, code="invalid")
        return int(super().to_internal_value(data))


def _reject_reserved(value: str) -> None:
    if value in RESERVED_ENTRY_IDS:
        raise serializers.ValidationError(SyncMessages.RESERVED_ID)


def entry_id_field() -> StrictCharField:
    return StrictCharField(
        trim_whitespace=False,
        validators=[RegexValidator(ENTRY_ID_PATTERN, SyncMessages.ENTRY_ID), _reject_reserved],
    )


def device_id_field(**kwargs: Any) -> StrictCharField:
    return StrictCharField(
        trim_whitespace=False,
        validators=[RegexValidator(DEVICE_ID_PATTERN, DeviceMessages.INVALID)],
        **kwargs,
    )


def ciphertext_field(**kwargs: Any) -> Base64BytesField:
    return Base64BytesField(
        min_bytes=1,
        max_bytes=settings.ENTRY_CIPHERTEXT_MAX_BYTES,
        too_long_code=CIPHERTEXT_TOO_LARGE,
        **kwargs,
    )


def iv_field(**kwargs: Any) -> Base64BytesField:
    return Base64BytesField(min_bytes=12, max_bytes=16, **kwargs)


def gcm_tag_field(**kwargs: Any) -> Base64BytesField:
    return Base64BytesField(min_bytes=16, max_bytes=16, **kwargs)


def _optional(**kwargs: Any) -> dict[str, Any]:
    return {"required": False, "allow_null": True, **kwargs}


# --- requests ------------------------------------------------------------------------
class EntryPushSerializer(StrictSerializer):
    id = entry_id_field()
    encrypted_content = ciphertext_field()
    content_iv = iv_field()
    content_tag = gcm_tag_field(**_optional())
    encrypted_embedding = ciphertext_field(**_optional())
    embedding_iv = iv_field(**_optional())
    created_at = AwareDateTimeField(**_optional())
    updated_at = AwareDateTimeField(**_optional())
    device_id = device_id_field()
    base_revision = StrictIntegerField(min_value=0, max_value=POSITION_MAX, **_optional())

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


class BatchPushSerializer(StrictSerializer):
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


class ResolveSerializer(StrictSerializer):
    chosen_version = serializers.ChoiceField(choices=Resolution.choices)
    final_encrypted_content = ciphertext_field(**_optional())
    final_iv = iv_field(**_optional())
    final_tag = gcm_tag_field(**_optional())
    final_encrypted_embedding = ciphertext_field(**_optional())
    final_embedding_iv = iv_field(**_optional())
    device_id = device_id_field(**_optional())

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


def validated(serializer: serializers.Serializer) -> Any:  # type: ignore[type-arg]
    """The serializer's data, or the one error: 422 for an oversized ciphertext, else 400."""
    if serializer.is_valid():
        return serializer.validated_data
    errors = serializer.errors
    if _has_code(errors, CIPHERTEXT_TOO_LARGE):
        limit = int(settings.ENTRY_CIPHERTEXT_MAX_BYTES)
        raise ApiError(
            CIPHERTEXT_TOO_LARGE,
            SyncMessages.CIPHERTEXT_TOO_LARGE.format(limit=limit),
            status=422,
            fields=dict(errors),
            extra={"limit": limit},
        )
    raise ApiError("invalid", Messages.INVALID_INPUT, fields=dict(errors))


def _has_code(errors: Any, code: str) -> bool:
    if isinstance(errors, Mapping):
        return any(_has_code(value, code) for value in errors.values())
    if isinstance(errors, list):
        return any(_has_code(value, code) for value in errors)
    return getattr(errors, "code", None) == code


# --- responses -----------------------------------------------------------------------
def feed_entry_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """One entry as pulled: ciphertext base64, tombstones with ``deleted`` and no content."""
    return {
        "id": row["client_id"],
        "revision": row["revision"],
        "seq": row["seq"],
        "deleted": row["deleted"],
        **{name: b64encode(row[name]) for name in CIPHERTEXT_FIELDS},
        "content_sha256": row["content_sha256"] or None,
        "device_id": row["device_id"] or None,
        "created_at": iso_time(row["created_at"]),
        "updated_at": iso_time(row["updated_at"]),
        "stored_at": iso_time(row["stored_at"]),
    }


def iso_time(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC with 'Z', formatted here rather than in the JSON encoder's fallback."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:  # the database hands back UTC already
        moment = moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def push_result_json(result: PushResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": result.client_id,
        "status": str(result.status),
        "revision": result.revision,
        "seq": result.seq,
    }
    if result.conflict_id is not None:
        body |= {"conflict_id": str(result.conflict_id), "current_revision": result.revision}
    if result.error is not None:
        body |= {"error": result.error, "detail": result.detail}
    if result.resurrected:
        body["resurrected"] = True
    return body


def _version_parts(parts: Mapping[str, Any] | None, deleted: bool) -> dict[str, Any]:
    def part(name: str) -> str | None:
        return None if parts is None else b64encode(parts[name])

    return {
        "deleted": deleted,
        "encrypted_content": part("encrypted_content"),
        "iv": part("content_iv"),
        "tag": part("content_tag"),
        "encrypted_embedding": part("encrypted_embedding"),
        "embedding_iv": part("embedding_iv"),
    }


def conflict_json(conflict: EntryConflict, remotes: RemoteVersions) -> dict[str, Any]:
    """Both versions of a conflict; ``local`` is the refused push, ``remote`` the entry's
    version at ``remote_revision`` (from ``remotes``; none once the conflict is resolved)."""
    local_parts = {name: getattr(conflict, f"local_{name}") for name in CIPHERTEXT_FIELDS}
    local = _version_parts(local_parts, conflict.local_deleted) | {
        "updated_at": conflict.local_updated_at,
        "device_id": conflict.device_id,
        "base_revision": conflict.base_revision,
        "created_at": conflict.local_created_at,
    }
    remote_parts = remotes.get((conflict.entry_id, conflict.remote_revision))
    remote = _version_parts(remote_parts, conflict.remote_deleted) | {
        "updated_at": conflict.remote_updated_at,
        "device_id": conflict.remote_device_id or None,
        "revision": conflict.remote_revision,
    }
    return {
        "id": str(conflict.id),
        "log_id": conflict.entry.client_id,
        "device_id": conflict.device_id,
        "local_version": local,
        "remote_version": remote,
        "detected_at": conflict.detected_at,
        "resolved_at": conflict.resolved_at,
        "resolution": conflict.resolution or None,
    }


def conflict_page_json(page: ConflictPage) -> dict[str, Any]:
    last = page.conflicts[-1] if page.has_more else None
    return {
        "conflicts": [conflict_json(conflict, page.remotes) for conflict in page.conflicts],
        "total_count": page.total_count,
        "has_more": page.has_more,
        "next_cursor": None if last is None else conflict_cursor_encode(last.detected_at, last.id),
    }


def page_json(rows: list[dict[str, Any]], *, next_seq: int, has_more: bool) -> dict[str, Any]:
    return {
        "backups": [feed_entry_json(row) for row in rows],
        "total_count": len(rows),
        "next_cursor": cursor_encode(next_seq),
        "has_more": has_more,
    }


# --- response shapes for the schema ----------------------------------------------------
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

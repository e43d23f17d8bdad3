"""Shapes of the analytics API: parse and validate requests, describe responses."""

from datetime import datetime
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.aggregation.sums import Operation
from analytics.formats.codec import public_key_decode
from analytics.formats.errors import BlobRejectedError
from analytics.frames import too_many_metrics
from analytics.messages import AnalyticsMessages as Msg
from analytics.messages import AnalyticsSchemaTexts as Texts
from analytics.periods import BUCKET_LEVELS, Level
from reflective.errors import ApiError
from reflective.lib.fields import AwareDateTimeField, StrictSerializer, validate_timezone_name

METRIC_TYPE_PATTERN = r"^[a-z0-9_.-]{1,64}$"
KEY_ID_PATTERN = r"^[0-9a-f]{64}$"
LOG_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# Calendar arithmetic stays far from datetime's limits, and no journal predates 1900.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def _metric_type_field(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(
        METRIC_TYPE_PATTERN,
        max_length=64,
        error_messages={"invalid": "Use 1-64 characters of a-z, 0-9, '_', '.', '-'."},
        **kwargs,
    )


def _key_id_field(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(
        KEY_ID_PATTERN,
        required=False,
        allow_null=True,
        error_messages={"invalid": "A key_id is 64 lowercase hex characters."},
        **kwargs,
    )


@extend_schema_field(OpenApiTypes.BYTE)
class Base64TextField(serializers.Field):  # type: ignore[type-arg]
    """A string handed on as is: decoding checks its alphabet and size later, with a 422.

    DRF's CharField scans every character for NUL and surrogates in Python, about 3 ms per
    100 KB, which made that scan the most expensive step of an upload.
    """

    default_error_messages = {"invalid": "Must be a base64 string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> str:
        return str(value)


class MetricItemSerializer(StrictSerializer):
    metric_type = _metric_type_field()
    encrypted_value = Base64TextField(help_text=Texts.CIPHERTEXT)
    timestamp = AwareDateTimeField()
    log_id = serializers.RegexField(
        LOG_ID_PATTERN,
        required=False,
        allow_null=True,
        help_text="The journal entry the value belongs to; a later upload with the same "
        "metric_type and log_id replaces it.",
    )
    key_id = _key_id_field(help_text="The key epoch it was encrypted under; default current.")

    def validate_timestamp(self, value: datetime) -> datetime:
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise serializers.ValidationError(
                Msg.TIMESTAMP_OUT_OF_RANGE.format(first=FIRST_YEAR, last=LAST_YEAR)
            )
        return value


class MetricsUploadSerializer(StrictSerializer):
    """The envelope only: each item is validated on its own so an error can name its index.

    Items pass through untouched (no per-item copy or re-encoding of 441 KB of base64).
    """

    metrics = serializers.ListField(min_length=1)

    def validate_metrics(self, items: list[Any]) -> list[Any]:
        limit = settings.METRICS_MAX_PER_REQUEST
        if len(items) > limit:
            raise too_many_metrics(limit)
        return items


class MetricsUploadSchemaSerializer(serializers.Serializer[Any]):
    """The documented shape of an upload (OpenAPI only; parsing uses the two above)."""

    metrics = MetricItemSerializer(many=True)


class MetricsStoredSerializer(serializers.Serializer[Any]):
    success = serializers.BooleanField()
    message = serializers.CharField()
    details = serializers.DictField(help_text="{count, replaced, key_ids}")


class MetricsDeleteQuerySerializer(StrictSerializer):
    log_id = serializers.ListField(
        child=serializers.RegexField(LOG_ID_PATTERN), min_length=1, max_length=500
    )
    metric_type = _metric_type_field(required=False)


class DeletedMetricsSerializer(serializers.Serializer[Any]):
    deleted_metrics = serializers.IntegerField()


class MetricsWipedSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    deleted_metrics = serializers.IntegerField()
    deleted_rollups = serializers.IntegerField()


class TimeRangeSerializer(StrictSerializer):
    start = AwareDateTimeField(required=False, allow_null=True, help_text="Inclusive.")
    end = AwareDateTimeField(required=False, allow_null=True, help_text="Exclusive.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start"), attrs.get("end")
        if start is not None and end is not None and start >= end:
            raise serializers.ValidationError({"end": [Msg.BAD_TIME_RANGE]})
        return attrs


def _timezone_valid(name: str) -> None:
    validate_timezone_name(name)


class AggregateRequestSerializer(StrictSerializer):
    metric_type = _metric_type_field()
    operation = serializers.ChoiceField(choices=[op.value for op in Operation])
    time_range = TimeRangeSerializer(required=False, allow_null=True)
    bucket = serializers.ChoiceField(
        choices=[level.value for level in BUCKET_LEVELS], required=False, allow_null=True
    )
    timezone = serializers.CharField(
        required=False,
        allow_null=True,
        validators=[_timezone_valid],
        help_text="IANA zone for the buckets; default: the account's time zone.",
    )
    key_id = _key_id_field(help_text="Aggregate an older key epoch; default: the current one.")

    def validate_operation(self, value: str) -> Operation:
        return Operation(value)

    def validate_bucket(self, value: str | None) -> Level | None:
        return Level(value) if value else None


class BucketResultSerializer(serializers.Serializer[Any]):
    start = serializers.CharField(help_text="Local midnight, ISO 8601 with the local offset.")
    end = serializers.CharField()
    count = serializers.IntegerField()
    encrypted_result = serializers.CharField(allow_null=True, help_text=Texts.RESULT)


class AggregateResultSerializer(serializers.Serializer[Any]):
    metric_type = serializers.CharField()
    operation = serializers.CharField()
    count = serializers.IntegerField()
    key_id = serializers.CharField()
    encrypted_result = serializers.CharField(allow_null=True, help_text=Texts.RESULT)
    timezone = serializers.CharField(required=False)
    bucket = serializers.CharField(required=False)
    buckets = BucketResultSerializer(many=True, required=False)


class PublicContextUploadSerializer(StrictSerializer):
    he_public_key = Base64TextField(help_text=Texts.PUBLIC_KEY)

    def validate_he_public_key(self, text: str) -> bytes:
        """The key's bytes; bad base64 or an oversize key is a 422 naming why."""
        try:
            return public_key_decode(text, max_bytes=settings.HE_PUBLIC_KEY_MAX_BYTES)
        except BlobRejectedError as rejected:
            raise ApiError(rejected.code, rejected.detail, status=422) from None


class KeyEpochSerializer(serializers.Serializer[Any]):
    key_id = serializers.CharField()
    format = serializers.CharField(help_text=Texts.FORMAT)
    seal_version = serializers.CharField(help_text=Texts.SEAL_VERSION)
    poly_modulus_degree = serializers.IntegerField()
    size_bytes = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    is_current = serializers.BooleanField()


class EncryptionPolicySerializer(serializers.Serializer[Any]):
    scheme = serializers.CharField()
    context_params = serializers.DictField()
    allowed_parameter_sets = serializers.ListField(child=serializers.DictField())
    serialized_context = serializers.CharField(allow_null=True)
    limits = serializers.DictField()

"""Field types and id rules shared by the sync request serializers (and the URL converter)."""

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from accounts.devices import DEVICE_ID_PATTERN, DeviceMessages
from journal_sync.errors import SyncMessages
from reflective.lib.fields import CIPHERTEXT_TOO_LARGE, Base64BytesField

# Also the path converter of entry ids (journal_sync/urls.py): one rule for both.
ENTRY_ID_REGEX = r"[A-Za-z0-9_-]{1,64}"
ENTRY_ID_PATTERN = rf"^{ENTRY_ID_REGEX}\Z"
RESERVED_ENTRY_IDS = frozenset({"content"})


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


def optional(**kwargs: Any) -> dict[str, Any]:
    return {"required": False, "allow_null": True, **kwargs}

"""Validation and shaping for the privacy tier endpoints; no business logic here."""

from typing import Any

from rest_framework import serializers

from accounts.serializers import PurgeCountsSerializer
from accounts.tiers import PrivacyTier
from analytics.messages import AnalyticsSchemaTexts as Texts
from reflective.lib.fields import AwareDateTimeField, Base64BytesField, StrictSerializer


class PrivacyChangeSerializer(StrictSerializer):
    privacy_tier = serializers.ChoiceField(choices=PrivacyTier.choices)
    consent_timestamp = AwareDateTimeField(required=False, allow_null=True)
    # Size and content are checked by the analytics app (422 with a precise code).
    he_public_key = Base64BytesField(
        required=False, allow_null=True, min_bytes=1, help_text=Texts.PUBLIC_KEY
    )


class PrivacyStateSerializer(serializers.Serializer[Any]):
    current_tier = serializers.CharField()
    sync_enabled = serializers.BooleanField()
    sync_enabled_at = serializers.DateTimeField(allow_null=True)
    features_available = serializers.DictField(child=serializers.BooleanField())
    analytics_key_id = serializers.CharField(allow_null=True)


class PrivacyChangeResultSerializer(PrivacyStateSerializer, PurgeCountsSerializer):
    previous_tier = serializers.CharField()


class PrivacyRevokeResultSerializer(PrivacyChangeResultSerializer):
    message = serializers.CharField()
    new_tier = serializers.CharField()

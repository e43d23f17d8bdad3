"""Validation and shaping for accounts endpoints; no business logic here."""

import json
from typing import Any

from rest_framework import serializers

from accounts.models import ConsentRecord, Device, User
from accounts.password_reset import pending_email_of
from accounts.services import PREFERENCE_FIELDS
from reflective.lib.fields import (
    BoundedJSONField,
    StrictSerializer,
    validate_locale,
    validate_timezone_name,
)
from reflective.lib.json_depth import json_max_depth, json_too_deep

THEME_MAX_BYTES = 4096
PASSWORD_MAX_LENGTH = 1024


class PreferenceMessages:
    THEME_NOT_OBJECT = "theme_preferences must be a JSON object."
    THEME_TOO_LARGE = f"theme_preferences must be at most {THEME_MAX_BYTES} bytes of JSON."
    THEME_TOO_DEEP = "theme_preferences must nest at most {limit} levels deep."


def validate_theme(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise serializers.ValidationError(PreferenceMessages.THEME_NOT_OBJECT)
    text = json.dumps(value, separators=(",", ":"))
    if len(text) > THEME_MAX_BYTES:
        raise serializers.ValidationError(PreferenceMessages.THEME_TOO_LARGE)
    if json_too_deep(text):
        message = PreferenceMessages.THEME_TOO_DEEP.format(limit=json_max_depth())
        raise serializers.ValidationError(message)
    return value


def _password_field(*, required: bool = True) -> serializers.CharField:
    return serializers.CharField(
        max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, required=required
    )


class PreferencesSerializer(StrictSerializer):
    daily_word_goal = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    writing_reminder_time = serializers.TimeField(
        format="%H:%M", input_formats=["%H:%M"], allow_null=True, required=False
    )
    theme_preferences = BoundedJSONField(
        required=False,
        validators=[validate_theme],  # type: ignore[list-item]
    )
    ai_features_enabled = serializers.BooleanField(required=False)
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        validators=[validate_timezone_name],  # type: ignore[list-item]
    )
    locale = serializers.CharField(
        max_length=35,
        required=False,
        validators=[validate_locale],  # type: ignore[list-item]
    )


class RegisterSerializer(PreferencesSerializer):
    email = serializers.EmailField(max_length=254)
    password = _password_field()
    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ProfileUpdateSerializer(PreferencesSerializer):
    # Old clients send the whole user back; these read-only fields are accepted and ignored.
    allowed_extra_fields = frozenset(
        {"id", "privacy_tier", "password", "pending_email", "created_at", "updated_at"}
    )

    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False)
    current_password = _password_field(required=False)


class UserSerializer(serializers.ModelSerializer[User]):
    writing_reminder_time = serializers.TimeField(format="%H:%M", allow_null=True)
    pending_email = serializers.SerializerMethodField(
        help_text="An address an email change waits to be confirmed at (a link was mailed)."
    )

    def get_pending_email(self, user: User) -> str | None:
        return pending_email_of(user=user)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "display_name",
            "timezone",
            "locale",
            "privacy_tier",
            "daily_word_goal",
            "writing_reminder_time",
            "theme_preferences",
            "ai_features_enabled",
            "pending_email",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class UserProfileOutSerializer(UserSerializer):
    """The user object as the API returns it (``selectors.user_profile`` builds it)."""

    logs_count = serializers.IntegerField(help_text="live (not deleted) entries stored here")
    writing_streak = serializers.IntegerField(
        help_text=(
            "consecutive days with an entry, by entry created_at in the user's time zone, "
            "ending today or yesterday"
        )
    )
    total_words_written = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "always null: words are inside encrypted entries; sum the encrypted word_count "
            "metric with POST /api/encryption/aggregate"
        ),
    )

    class Meta(UserSerializer.Meta):
        fields = [
            *UserSerializer.Meta.fields,
            "logs_count",
            "writing_streak",
            "total_words_written",
        ]
        read_only_fields = fields


class PreferencesOutSerializer(serializers.ModelSerializer[User]):
    writing_reminder_time = serializers.TimeField(format="%H:%M", allow_null=True)

    class Meta:
        model = User
        fields = list(PREFERENCE_FIELDS)
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer[Any]):
    # OAuth2 password-form clients also send grant_type, scope, client_id: ignored.
    username = serializers.CharField(max_length=254, required=False)
    email = serializers.CharField(max_length=254, required=False)
    password = _password_field()
    device_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Shown in the session list (default: the User-Agent).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        login = attrs.get("email") or attrs.get("username")
        if not login:
            raise serializers.ValidationError({"email": ["Send email (or username) and password."]})
        return {
            "email": login,
            "password": attrs["password"],
            "device_name": attrs.get("device_name", ""),
        }


class TokenPairSerializer(serializers.Serializer[Any]):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class RefreshTokenSerializer(serializers.Serializer[Any]):
    refresh_token = serializers.CharField(required=False, max_length=4096)
    refresh = serializers.CharField(required=False, max_length=4096)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        token = attrs.get("refresh_token") or attrs.get("refresh")
        if not token:
            raise serializers.ValidationError({"refresh_token": ["This field is required."]})
        return {"refresh_token": token}


class PasswordChangeSerializer(StrictSerializer):
    current_password = _password_field()
    new_password = _password_field()


class PasswordConfirmSerializer(StrictSerializer):
    password = _password_field()


class PurgeCountsSerializer(serializers.Serializer[Any]):
    deleted_entries = serializers.IntegerField()
    deleted_backups = serializers.IntegerField(help_text="Alias of deleted_entries.")
    deleted_revisions = serializers.IntegerField()
    deleted_conflicts = serializers.IntegerField()
    deleted_metrics = serializers.IntegerField()
    deleted_rollups = serializers.IntegerField()
    deleted_keys = serializers.IntegerField()
    deleted_tags = serializers.IntegerField()


class ConsentRecordSerializer(serializers.ModelSerializer[ConsentRecord]):
    class Meta:
        model = ConsentRecord
        fields = ["from_tier", "to_tier", "consent_timestamp", "recorded_at", "deleted_counts"]
        read_only_fields = fields


class DeviceSerializer(serializers.ModelSerializer[Device]):
    class Meta:
        model = Device
        fields = ["device_id", "first_seen_at", "last_seen_at"]
        read_only_fields = fields

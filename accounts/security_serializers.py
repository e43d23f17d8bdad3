"""Validation and shaping for the account-security endpoints: 2FA, sessions, reset by mail."""

from typing import Any

from rest_framework import serializers

from accounts.serializers import PASSWORD_MAX_LENGTH
from reflective.lib.fields import StrictSerializer

CODE_MAX_LENGTH = 32
TOKEN_MAX_LENGTH = 128
CHALLENGE_MAX_LENGTH = 2048


def _password_field() -> serializers.CharField:
    return serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


def _code_fields() -> dict[str, serializers.CharField]:
    return {
        "code": serializers.CharField(
            max_length=CODE_MAX_LENGTH, required=False, help_text="6-digit TOTP code"
        ),
        "recovery_code": serializers.CharField(
            max_length=CODE_MAX_LENGTH, required=False, help_text="an unused recovery code"
        ),
    }


class _CodeSerializer(StrictSerializer):
    def get_fields(self) -> dict[str, Any]:
        return {**super().get_fields(), **_code_fields()}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("code") and not attrs.get("recovery_code"):
            raise serializers.ValidationError({"code": ["Send code or recovery_code."]})
        return attrs


class MfaLoginSerializer(_CodeSerializer):
    mfa_challenge = serializers.CharField(max_length=CHALLENGE_MAX_LENGTH)


class MfaDisableSerializer(_CodeSerializer):
    password = _password_field()


class MfaEnrolSerializer(StrictSerializer):
    password = _password_field()


class MfaConfirmSerializer(StrictSerializer):
    code = serializers.CharField(max_length=CODE_MAX_LENGTH, help_text="6-digit TOTP code")


class MfaEnrolmentSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text="base32; shown once")
    otpauth_uri = serializers.CharField(help_text="otpauth://totp/... for authenticator apps")


class RecoveryCodesSerializer(serializers.Serializer[Any]):
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text="shown once")


class MfaStatusSerializer(serializers.Serializer[Any]):
    totp_enabled = serializers.BooleanField()
    enabled_at = serializers.DateTimeField(allow_null=True)
    recovery_codes_left = serializers.IntegerField()


class MfaRequiredSerializer(serializers.Serializer[Any]):
    """The 401 of a login: invalid_credentials, or mfa_required with its challenge."""

    code = serializers.CharField(help_text="invalid_credentials or mfa_required")
    detail = serializers.CharField()
    mfa_challenge = serializers.CharField(
        required=False, help_text="with mfa_required: send to auth/token/mfa with a code"
    )
    expires_in = serializers.IntegerField(
        required=False, help_text="with mfa_required: seconds the challenge stays valid"
    )


class SessionSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    device_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    current = serializers.BooleanField()


class SessionListSerializer(serializers.Serializer[Any]):
    sessions = SessionSerializer(many=True)


class LogoutAllResultSerializer(serializers.Serializer[Any]):
    revoked_sessions = serializers.IntegerField()


class ResetRequestSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class ResetConfirmSerializer(StrictSerializer):
    token = serializers.CharField(max_length=TOKEN_MAX_LENGTH)
    new_password = _password_field()


class EmailConfirmSerializer(StrictSerializer):
    token = serializers.CharField(max_length=TOKEN_MAX_LENGTH)


class DetailSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


class EmailSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()

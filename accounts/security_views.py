"""Account security endpoints: second factor, sessions, password reset and email change.

Every action has its throttles, counted under the row lock of the account it is about.
"""

import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from accounts import mfa, password_reset, services, sessions
from accounts.authentication import request_user
from accounts.security_serializers import (
    DetailSerializer,
    EmailConfirmSerializer,
    EmailSerializer,
    LogoutAllResultSerializer,
    MfaConfirmSerializer,
    MfaDisableSerializer,
    MfaEnrolmentSerializer,
    MfaEnrolSerializer,
    MfaLoginSerializer,
    MfaStatusSerializer,
    RecoveryCodesSerializer,
    ResetConfirmSerializer,
    ResetRequestSerializer,
    SessionListSerializer,
)
from accounts.serializers import TokenPairSerializer
from accounts.throttles import (
    LoginIPThrottle,
    MailAddressThrottle,
    MailIPThrottle,
    MailTokenIPThrottle,
    SecurityAccountThrottle,
    account_row_locked,
    mfa_throttles,
    password_throttles,
)
from accounts.tokens import session_id_of
from reflective.lib.fields import validated_input

THROTTLED = OpenApiResponse(description="throttled: retry after Retry-After seconds")
WRONG_PASSWORD = OpenApiResponse(description="wrong_password")
INVALID_TOKEN = OpenApiResponse(description="invalid_token (unknown, expired or used), or invalid")


class AccountLockedThrottling(viewsets.ViewSet):
    """Throttles are counted under the account's row lock (see ``account_row_locked``)."""

    def throttles_for(self, action: str | None) -> list[BaseThrottle]:
        return [SecurityAccountThrottle()]

    def get_throttles(self) -> list[BaseThrottle]:
        return self.throttles_for(self.action)

    def check_throttles(self, request: Request) -> None:
        with account_row_locked(request):
            super().check_throttles(request)


class MfaLoginViewSet(AccountLockedThrottling):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def throttles_for(self, action: str | None) -> list[BaseThrottle]:
        return [LoginIPThrottle(), *mfa_throttles()]

    @extend_schema(
        request=MfaLoginSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(
                description="invalid_mfa_code (wrong, expired or already used) or "
                "invalid_mfa_challenge (log in again)"
            ),
            409: OpenApiResponse(description="mfa_not_enabled"),
            429: THROTTLED,
        },
        description="Second step of a login that answered 401 mfa_required: the challenge "
        "with a TOTP code or a recovery code. Each code works once.",
    )
    def create(self, request: Request) -> Response:
        return Response(services.mfa_login(**validated_input(MfaLoginSerializer, request.data)))


class MfaViewSet(AccountLockedThrottling):
    documents_delete_body = True  # DELETE needs {password, code}; see reflective.lib.openapi

    def throttles_for(self, action: str | None) -> list[BaseThrottle]:
        if action == "enrol":
            return password_throttles()
        if action == "confirm":
            return mfa_throttles()
        if action == "destroy":
            return [*password_throttles(), *mfa_throttles()]
        return [SecurityAccountThrottle()]

    @extend_schema(responses={200: MfaStatusSerializer, 429: THROTTLED})
    def retrieve(self, request: Request) -> Response:
        return Response(MfaStatusSerializer(mfa.mfa_status(user=request_user(request))).data)

    @extend_schema(
        request=MfaEnrolSerializer,
        responses={
            201: MfaEnrolmentSerializer,
            403: WRONG_PASSWORD,
            409: OpenApiResponse(description="mfa_already_enabled"),
            429: THROTTLED,
        },
        description="Starts enrolment: a new secret and its otpauth:// URI, shown once. "
        "Nothing changes at login until the first code confirms it.",
    )
    def enrol(self, request: Request) -> Response:
        password = validated_input(MfaEnrolSerializer, request.data)["password"]
        enrolment = mfa.totp_enrol_start(user=request_user(request), password=password)
        return Response(enrolment, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MfaConfirmSerializer,
        responses={
            200: RecoveryCodesSerializer,
            403: OpenApiResponse(description="invalid_mfa_code"),
            409: OpenApiResponse(description="mfa_not_pending: start enrolment first"),
            429: THROTTLED,
        },
        description="Enables the factor with its first code; returns ten one-time recovery "
        "codes, shown once (only their hashes are kept).",
    )
    def confirm(self, request: Request) -> Response:
        code = validated_input(MfaConfirmSerializer, request.data)["code"]
        codes = mfa.totp_enrol_confirm(user=request_user(request), code=code)
        return Response({"recovery_codes": codes})

    @extend_schema(
        request=MfaDisableSerializer,
        responses={
            204: None,
            403: OpenApiResponse(description="wrong_password or invalid_mfa_code"),
            409: OpenApiResponse(description="mfa_not_enabled"),
            429: THROTTLED,
        },
        description="Needs the password and a code (or a recovery code).",
    )
    def destroy(self, request: Request) -> Response:
        data = validated_input(MfaDisableSerializer, request.data)
        mfa.totp_disable(user=request_user(request), **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionViewSet(AccountLockedThrottling):
    @extend_schema(responses={200: SessionListSerializer, 429: THROTTLED})
    def retrieve(self, request: Request) -> Response:
        found = sessions.sessions_of(
            user=request_user(request), current_session_id=session_id_of(request.auth)
        )
        return Response(SessionListSerializer({"sessions": found}).data)

    @extend_schema(responses={204: None, 429: THROTTLED})
    def destroy(self, request: Request, session_id: uuid.UUID) -> Response:
        sessions.session_revoke(user=request_user(request), session_id=str(session_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: LogoutAllResultSerializer, 429: THROTTLED},
        description="Revokes every session of the account except the one making the call.",
    )
    def logout_all(self, request: Request) -> Response:
        revoked = sessions.sessions_revoke_others(
            user=request_user(request), current_session_id=session_id_of(request.auth)
        )
        return Response({"revoked_sessions": revoked})


class MailLinkViewSet(AccountLockedThrottling):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def throttles_for(self, action: str | None) -> list[BaseThrottle]:
        if action == "reset_request":
            return [MailIPThrottle(), MailAddressThrottle()]
        return [MailTokenIPThrottle()]

    @extend_schema(
        request=ResetRequestSerializer,
        responses={202: DetailSerializer, 429: THROTTLED},
        description="The same answer whether or not the address has an account. A mail with "
        "a single-use link (30 minutes) goes to an address that has one.",
    )
    def reset_request(self, request: Request) -> Response:
        password_reset.password_reset_request(
            **validated_input(ResetRequestSerializer, request.data)
        )
        detail = password_reset.ResetMessages.REQUESTED.format(
            minutes=settings.PASSWORD_RESET_MINUTES
        )
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=ResetConfirmSerializer,
        responses={204: None, 400: INVALID_TOKEN, 429: THROTTLED},
        description="Sets the new password and revokes every session. No data is touched; "
        "a second factor stays enabled.",
    )
    def reset_confirm(self, request: Request) -> Response:
        password_reset.password_reset_confirm(
            **validated_input(ResetConfirmSerializer, request.data)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=EmailConfirmSerializer,
        responses={
            200: EmailSerializer,
            400: OpenApiResponse(description="invalid_token, email_taken or invalid"),
            429: THROTTLED,
        },
        description="Makes the address an email change was requested for the account's login.",
    )
    def email_confirm(self, request: Request) -> Response:
        user = password_reset.email_change_confirm(
            **validated_input(EmailConfirmSerializer, request.data)
        )
        return Response({"email": user.email})

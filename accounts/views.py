"""Thin views: parse with a serializer, call one service or selector, shape the answer."""

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from accounts import selectors, services
from accounts.authentication import request_user
from accounts.devices import device_forget
from accounts.security_serializers import MfaRequiredSerializer
from accounts.serializers import (
    DeviceSerializer,
    PasswordChangeSerializer,
    PasswordConfirmSerializer,
    PreferencesOutSerializer,
    PreferencesSerializer,
    ProfileUpdateSerializer,
    PurgeCountsSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    TokenRequestSerializer,
    UserProfileOutSerializer,
)
from accounts.throttles import (
    LoginAccountThrottle,
    LoginIPThrottle,
    RegisterIPThrottle,
    account_row_locked,
    password_throttles,
)
from accounts.tokens import session_end, session_refresh
from reflective.lib.fields import validated_input
from reflective.lib.replicas import ReplicaReadsMixin

LOGIN_REFUSED = OpenApiResponse(
    response=MfaRequiredSerializer,
    description="invalid_credentials (same body for any cause), or, for an account with a "
    "second factor and the right password, mfa_required with mfa_challenge and expires_in: "
    "send them with a code to auth/token/mfa",
)
REFRESH_REFUSED = OpenApiResponse(description="invalid_refresh_token: log in again")


class AuthViewSet(viewsets.ViewSet):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def get_throttles(self) -> list[Any]:
        if self.action == "register":
            return [RegisterIPThrottle()]
        if self.action == "token":
            return [LoginIPThrottle(), LoginAccountThrottle()]
        return []

    @extend_schema(request=RegisterSerializer, responses={201: UserProfileOutSerializer})
    def register(self, request: Request) -> Response:
        user = services.user_register(**validated_input(RegisterSerializer, request.data))
        return Response(selectors.user_profile(user=user), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenPairSerializer, 401: LOGIN_REFUSED},
        description="JSON or form body; `username` is accepted as an alias of `email`. "
        "Accounts with a second factor get 401 mfa_required with a challenge (see auth/token/mfa).",
    )
    def token(self, request: Request) -> Response:
        credentials = validated_input(TokenRequestSerializer, request.data)
        if not credentials["device_name"]:
            credentials["device_name"] = request.headers.get("User-Agent", "")[:100]
        return Response(services.user_login(request=request._request, **credentials))

    @extend_schema(
        request=RefreshTokenSerializer, responses={200: TokenPairSerializer, 401: REFRESH_REFUSED}
    )
    def refresh(self, request: Request) -> Response:
        return Response(session_refresh(**validated_input(RefreshTokenSerializer, request.data)))

    @extend_schema(request=RefreshTokenSerializer, responses={204: None, 401: REFRESH_REFUSED})
    def logout(self, request: Request) -> Response:
        session_end(**validated_input(RefreshTokenSerializer, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordConfirmingViewSet(viewsets.ViewSet):
    """A viewset whose actions may confirm the account password: those are throttled per
    session and per account, and each attempt is counted before the password is checked.
    """

    def confirms_password(self, request: Request) -> bool:
        return True

    def get_throttles(self) -> list[BaseThrottle]:
        return password_throttles() if self.confirms_password(self.request) else []

    def check_throttles(self, request: Request) -> None:
        if self.confirms_password(request):
            with account_row_locked(request):
                super().check_throttles(request)


class PasswordViewSet(PasswordConfirmingViewSet):
    @extend_schema(
        request=PasswordChangeSerializer,
        responses={200: TokenPairSerializer},
        description="Revokes every session of the account and returns a fresh token pair.",
    )
    def create(self, request: Request) -> Response:
        data = validated_input(PasswordChangeSerializer, request.data)
        return Response(services.user_password_change(user=request_user(request), **data))


class MeViewSet(PasswordConfirmingViewSet):
    documents_delete_body = True  # DELETE needs {password}; see reflective.lib.openapi

    def confirms_password(self, request: Request) -> bool:
        """Deleting the account, and an email change (it sends current_password)."""
        if self.action == "destroy":
            return True
        if self.action not in ("update", "partial_update"):
            return False
        data: Any = request.data
        return hasattr(data, "get") and bool(data.get("current_password"))

    @extend_schema(responses=UserProfileOutSerializer)
    def retrieve(self, request: Request) -> Response:
        return Response(selectors.user_profile(user=request_user(request)))

    @extend_schema(
        request=ProfileUpdateSerializer,
        responses=UserProfileOutSerializer,
        description="Partial update. privacy_tier and password are ignored here.",
    )
    def partial_update(self, request: Request) -> Response:
        changes = validated_input(ProfileUpdateSerializer, request.data)
        user = services.user_profile_update(user=request_user(request), **changes)
        return Response(selectors.user_profile(user=user))

    update = partial_update

    @extend_schema(request=PasswordConfirmSerializer, responses={200: PurgeCountsSerializer})
    def destroy(self, request: Request) -> Response:
        data = validated_input(PasswordConfirmSerializer, request.data)
        deleted = services.user_delete(user=request_user(request), **data)
        return Response({"deleted": True, **deleted})


class PreferencesViewSet(viewsets.ViewSet):
    @extend_schema(responses=PreferencesOutSerializer)
    def retrieve(self, request: Request) -> Response:
        return Response(PreferencesOutSerializer(request_user(request)).data)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesOutSerializer)
    def update(self, request: Request) -> Response:
        changes = validated_input(PreferencesSerializer, request.data)
        user = services.user_preferences_update(user=request_user(request), **changes)
        return Response(PreferencesOutSerializer(user).data)


class StatsViewSet(viewsets.ViewSet):
    @extend_schema(
        responses=OpenApiResponse(
            description=(
                "Counts, sizes and times only, and quotas: each quota's limit and what the "
                "account uses of it."
            )
        )
    )
    def retrieve(self, request: Request) -> Response:
        return Response(selectors.user_stats(user=request_user(request)))


class DeviceViewSet(viewsets.ViewSet):
    @extend_schema(
        responses=inline_serializer("DeviceList", {"devices": DeviceSerializer(many=True)})
    )
    def retrieve(self, request: Request) -> Response:
        devices = selectors.devices_of(user=request_user(request))
        return Response({"devices": DeviceSerializer(devices, many=True).data})

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, device_id: str) -> Response:
        device_forget(user=request_user(request), device_id=device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportViewSet(ReplicaReadsMixin, viewsets.ViewSet):
    @extend_schema(
        responses=OpenApiResponse(description="Every stored row of the account, as one JSON."),
    )
    def retrieve(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            selectors.export_chunks(user=request_user(request)), content_type="application/json"
        )
        response["Content-Disposition"] = 'attachment; filename="reflective-export.json"'
        response["Cache-Control"] = "no-store"
        return response

from django.urls import path

from accounts import security_views, views
from accounts.devices import DEVICE_ID_REGEX
from reflective.lib.converters import register_id_converter

register_id_converter("device_id", DEVICE_ID_REGEX)

urlpatterns = [
    path("auth/register", views.AuthViewSet.as_view({"post": "register"}), name="register"),
    path("auth/token", views.AuthViewSet.as_view({"post": "token"}), name="token"),
    path("auth/token/refresh", views.AuthViewSet.as_view({"post": "refresh"}), name="refresh"),
    path("auth/logout", views.AuthViewSet.as_view({"post": "logout"}), name="logout"),
    path("auth/password", views.PasswordViewSet.as_view({"post": "create"}), name="password"),
    path(
        "auth/token/mfa",
        security_views.MfaLoginViewSet.as_view({"post": "create"}),
        name="token-mfa",
    ),
    path(
        "auth/logout-all",
        security_views.SessionViewSet.as_view({"post": "logout_all"}),
        name="logout-all",
    ),
    path(
        "auth/password/reset",
        security_views.MailLinkViewSet.as_view({"post": "reset_request"}),
        name="password-reset",
    ),
    path(
        "auth/password/reset/confirm",
        security_views.MailLinkViewSet.as_view({"post": "reset_confirm"}),
        name="password-reset-confirm",
    ),
    path(
        "auth/email/confirm",
        security_views.MailLinkViewSet.as_view({"post": "email_confirm"}),
        name="email-confirm",
    ),
    path(
        "users/me",
        views.MeViewSet.as_view(
            {"get": "retrieve", "patch": "partial_update", "put": "update", "delete": "destroy"}
        ),
        name="me",
    ),
    path(
        "users/me/preferences",
        views.PreferencesViewSet.as_view({"get": "retrieve", "put": "update", "patch": "update"}),
        name="preferences",
    ),
    path("users/me/stats", views.StatsViewSet.as_view({"get": "retrieve"}), name="stats"),
    path("users/me/devices", views.DeviceViewSet.as_view({"get": "retrieve"}), name="devices"),
    path(
        "users/me/devices/<device_id:device_id>",
        views.DeviceViewSet.as_view({"delete": "destroy"}),
        name="device",
    ),
    path(
        "users/me/sessions",
        security_views.SessionViewSet.as_view({"get": "retrieve"}),
        name="sessions",
    ),
    path(
        "users/me/sessions/<uuid:session_id>",
        security_views.SessionViewSet.as_view({"delete": "destroy"}),
        name="session",
    ),
    path("users/me/2fa", security_views.MfaViewSet.as_view({"get": "retrieve"}), name="mfa"),
    path(
        "users/me/2fa/totp",
        security_views.MfaViewSet.as_view({"post": "enrol", "delete": "destroy"}),
        name="mfa-totp",
    ),
    path(
        "users/me/2fa/totp/confirm",
        security_views.MfaViewSet.as_view({"post": "confirm"}),
        name="mfa-totp-confirm",
    ),
    path("users/me/export", views.ExportViewSet.as_view({"get": "retrieve"}), name="export"),
]

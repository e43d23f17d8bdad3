"""Operator views of accounts: metadata, counts and sizes; never a password hash or ciphertext."""

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from accounts.models import AuthSession, ConsentRecord, Device, User
from accounts.selectors import quota_usage
from reflective.lib.user_data import user_data


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ["email", "privacy_tier", "device_count", "created_at", "last_login", "is_staff"]
    list_filter = ["privacy_tier", "is_staff", "is_active", "created_at"]
    search_fields = ["email", "display_name"]
    ordering = ["-created_at"]
    fields = [
        "email",
        "display_name",
        "privacy_tier",
        "sync_enabled_at",
        "timezone",
        "locale",
        "is_active",
        "is_staff",
        "is_superuser",
        "created_at",
        "last_login",
        "stored_data",
        "quota_usage",
    ]
    readonly_fields = [
        "privacy_tier",
        "sync_enabled_at",
        "created_at",
        "last_login",
        "stored_data",
        "quota_usage",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).annotate(_device_count=Count("devices"))

    @admin.display(description="devices", ordering="_device_count")
    def device_count(self, user: Any) -> int:
        return int(getattr(user, "_device_count", 0))

    @admin.display(description="stored data (counts and sizes)")
    def stored_data(self, user: User) -> str:
        stats = user_data.stats(user)
        return format_html_join("", "<div>{}: {}</div>", sorted(stats.items())) or "-"

    @admin.display(description="quotas (used of limit)")
    def quota_usage(self, user: User) -> str:
        usage = quota_usage(user=user)
        rows = ((name, row["used"], row["limit"]) for name, row in sorted(usage.items()))
        return format_html_join("", "<div>{}: {} of {}</div>", rows)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin[ConsentRecord]):
    list_display = ["user", "from_tier", "to_tier", "consent_timestamp", "recorded_at"]
    list_filter = ["to_tier", "recorded_at"]
    search_fields = ["user__email"]
    readonly_fields = [f.name for f in ConsentRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin[Device]):
    list_display = ["device_id", "user", "first_seen_at", "last_seen_at"]
    search_fields = ["user__email", "device_id"]
    list_filter = ["last_seen_at"]
    readonly_fields = ["user", "device_id", "first_seen_at", "last_seen_at"]


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin[AuthSession]):
    list_display = ["id", "user", "device_name", "created_at", "refreshed_at", "revoked_at"]
    list_filter = ["revoked_at", "created_at"]
    search_fields = ["user__email"]
    readonly_fields = ["id", "user", "device_name", "created_at", "refreshed_at", "revoked_at"]

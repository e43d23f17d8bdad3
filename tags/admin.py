"""Operators see a tag's color, dates and sizes; never its encrypted name, nonce or digest."""

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.http import HttpRequest
from django.utils.html import format_html

from tags.models import Tag

SHOWN_FIELDS = (
    "id",
    "user",
    "swatch",
    "name_bytes",
    "created_at",
    "last_used_at",
    "deleted_at",
    "revision",
    "seq",
)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = SHOWN_FIELDS
    list_filter = ["created_at", "last_used_at", "deleted_at"]
    search_fields = ["user__email"]
    ordering = ["-last_used_at"]
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    list_select_related = ["user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        # The size is computed in the database, so the ciphertext never reaches this process.
        queryset: QuerySet[Tag] = super().get_queryset(request)
        sized = queryset.annotate(_name_bytes=Length("encrypted_name"))
        return sized.defer("encrypted_name", "name_iv", "name_digest")

    @admin.display(description="color")
    def swatch(self, tag: Tag) -> str:
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;background:{}"></span> {}',
            tag.color,
            tag.color,
        )

    @admin.display(description="encrypted name (bytes)", ordering="_name_bytes")
    def name_bytes(self, tag: Tag) -> int:
        return int(getattr(tag, "_name_bytes", 0) or 0)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Tag | None = None) -> bool:
        return False

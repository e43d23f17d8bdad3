"""The admin base for the data apps: operators look, they never add or change."""

from django.contrib import admin
from django.http import HttpRequest

# Each admin built on this lists its fields explicitly: a new binary column stays hidden
# until someone decides it is safe to show.


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

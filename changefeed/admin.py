"""Operators see where each user's feed stands."""

from django.contrib import admin

from changefeed.models import SyncState
from reflective.lib.admin import ReadOnlyAdmin


@admin.register(SyncState)
class SyncStateAdmin(ReadOnlyAdmin):
    list_display = ("user", "last_seq", "pruned_seq")
    search_fields = ("user__email",)
    fields = ("user", "last_seq", "pruned_seq")

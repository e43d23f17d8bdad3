from django.apps import AppConfig


class JournalSyncConfig(AppConfig):
    name = "journal_sync"
    default_auto_field = "django.db.models.BigAutoField"

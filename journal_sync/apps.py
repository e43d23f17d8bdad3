from django.apps import AppConfig


class JournalSyncConfig(AppConfig):
    name = "journal_sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from journal_sync.user_data import register

        register()

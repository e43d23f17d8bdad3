from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    """The operations that span every app: tier changes, the retention run, demo seeding."""

    name = "lifecycle"
    default_auto_field = "django.db.models.BigAutoField"

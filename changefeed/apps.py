from django.apps import AppConfig


class ChangefeedConfig(AppConfig):
    name = "changefeed"
    default_auto_field = "django.db.models.BigAutoField"

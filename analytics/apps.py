from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from analytics.formats.ckks import keyless_context_ready
        from analytics.selectors import (
            analytics_stats,
            analytics_usage,
            key_epochs_export,
            metric_storage_bytes,
            metrics_export,
        )
        from analytics.services.deletion import analytics_purge
        from reflective.lib.readiness import register_readiness
        from reflective.lib.user_data import user_data

        user_data.register_purger(analytics_purge, kinds=["metrics", "rollups", "keys"])
        user_data.register_exporter("metrics", metrics_export)
        user_data.register_exporter("analytics_keys", key_epochs_export)
        user_data.register_stats(analytics_stats)
        user_data.register_usage(analytics_usage)
        user_data.register_storage(metric_storage_bytes)
        register_readiness("tenseal", keyless_context_ready)

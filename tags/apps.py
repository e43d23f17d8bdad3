from django.apps import AppConfig


class TagsConfig(AppConfig):
    name = "tags"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reflective.lib.user_data import user_data
        from tags.selectors import tag_storage_bytes, tags_export, tags_stats, tags_usage
        from tags.services import tags_purge

        user_data.register_purger(tags_purge, kinds=["tags"])
        user_data.register_exporter("tags", tags_export)
        user_data.register_stats(tags_stats)
        user_data.register_usage(tags_usage)
        user_data.register_storage(tag_storage_bytes)

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Take over SyncState from journal_sync; the table stays as it is (state only)."""

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("journal_sync", "0004_conflict_remote_reference"),
        # Its data migration reads SyncState as journal_sync's model.
        ("tags", "0002_tag_feed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SyncState",
                    fields=[
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="sync_state",
                                serialize=False,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        ("last_seq", models.BigIntegerField(default=0)),
                        ("pruned_seq", models.BigIntegerField(default=0)),
                    ],
                    options={"db_table": "journal_sync_syncstate"},
                ),
            ],
        ),
    ]

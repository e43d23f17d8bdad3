from django.db import migrations


class Migration(migrations.Migration):
    """SyncState now belongs to the changefeed app; its table is untouched (state only)."""

    dependencies = [
        ("journal_sync", "0004_conflict_remote_reference"),
        ("changefeed", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SyncState")],
        ),
    ]

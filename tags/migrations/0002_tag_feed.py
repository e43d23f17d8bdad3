from django.db import migrations, models


def assign_feed_positions(apps, schema_editor):
    """Give tags written before the change feed existed a position, per user, oldest first."""
    Tag = apps.get_model("tags", "Tag")
    SyncState = apps.get_model("journal_sync", "SyncState")
    user_ids = Tag.objects.filter(seq__isnull=True).values_list("user_id", flat=True).distinct()
    for user_id in list(user_ids):
        state, _ = SyncState.objects.select_for_update().get_or_create(user_id=user_id)
        tags = Tag.objects.filter(user_id=user_id, seq__isnull=True).order_by("created_at", "id")
        for tag in tags:
            state.last_seq += 1
            tag.seq = state.last_seq
            tag.save(update_fields=["seq"])
        state.save(update_fields=["last_seq"])


class Migration(migrations.Migration):
    dependencies = [
        ("journal_sync", "0001_initial"),
        ("tags", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="tag",
            name="seq",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="tag",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="tag",
            name="encrypted_name",
            field=models.BinaryField(null=True),
        ),
        migrations.AlterField(
            model_name="tag",
            name="name_iv",
            field=models.BinaryField(null=True),
        ),
        migrations.AlterField(
            model_name="tag",
            name="name_digest",
            field=models.BinaryField(null=True),
        ),
        migrations.RunPython(assign_feed_positions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tag",
            name="seq",
            field=models.BigIntegerField(),
        ),
        migrations.RemoveConstraint(
            model_name="tag",
            name="tag_user_digest_unique",
        ),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.UniqueConstraint(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=("user", "name_digest"),
                name="tag_user_digest_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.UniqueConstraint(fields=("user", "seq"), name="tag_user_seq_unique"),
        ),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("deleted_at__isnull", True),
                        ("encrypted_name__isnull", False),
                        ("name_digest__isnull", False),
                        ("name_iv__isnull", False),
                    ),
                    models.Q(
                        models.Q(("deleted_at__isnull", True), _negated=True),
                        ("encrypted_name__isnull", True),
                        ("name_digest__isnull", True),
                        ("name_iv__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="tag_name_only_while_live",
            ),
        ),
        migrations.AddIndex(
            model_name="tag",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), _negated=True),
                fields=["deleted_at"],
                name="tag_tombstone_idx",
            ),
        ),
    ]

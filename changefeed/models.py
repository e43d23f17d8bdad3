"""The per-user change feed: one counter row per user, shared by every synced app."""

from django.conf import settings
from django.db import models


class SyncState(models.Model):
    """One row per user: the change feed counter and the prune watermark.

    ``last_seq`` is the last feed position handed out; every synced write takes the next
    one while holding this row's lock, so commit order equals feed order. ``pruned_seq``
    is the highest position whose record was pruned (tombstones past retention, a wipe):
    a cursor below it may have missed a delete and must resync.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sync_state",
    )
    last_seq = models.BigIntegerField(default=0)
    pruned_seq = models.BigIntegerField(default=0)

    class Meta:
        # The table kept the name it had when encrypted sync owned the feed.
        db_table = "journal_sync_syncstate"

    def __str__(self) -> str:
        return f"sync state of {self.user_id} at {self.last_seq}"

"""Encrypted sync: entries the server cannot read, their history, conflicts and feed.

Every row belongs to one user. Ciphertext columns hold opaque client-encrypted bytes;
the server only ever looks at their sizes and hashes.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class EntryCiphertext(models.Model):
    """The encrypted parts of one version of an entry (all null on a tombstone)."""

    encrypted_content = models.BinaryField(null=True)
    content_iv = models.BinaryField(null=True)
    content_tag = models.BinaryField(null=True)
    encrypted_embedding = models.BinaryField(null=True)
    embedding_iv = models.BinaryField(null=True)
    # sha256 of encrypted_content (hex), so clients can verify what they pulled.
    content_sha256 = models.CharField(max_length=64, blank=True, default="")
    size_bytes = models.PositiveIntegerField(default=0)
    deleted = models.BooleanField(default=False)
    device_id = models.CharField(max_length=64, blank=True, default="")
    # Client-claimed times: metadata only, never used for ordering.
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class EncryptedEntry(EntryCiphertext):
    """The current version of a journal entry, keyed by (user, client-chosen id)."""

    # Indexed by the two (user, ...) unique constraints; a lone user index only costs writes.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="encrypted_entries",
        db_index=False,
    )
    client_id = models.CharField(max_length=64)
    revision = models.BigIntegerField()
    seq = models.BigIntegerField()
    # sha256 over every encrypted part: equal fingerprints mean a byte-identical push.
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    stored_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client_id"], name="entry_user_client_id"),
            # Also the index every pull walks: WHERE user = ? AND seq > cursor ORDER BY seq.
            models.UniqueConstraint(fields=["user", "seq"], name="entry_user_seq"),
        ]
        indexes = [
            models.Index(
                fields=["stored_at"], condition=Q(deleted=True), name="entry_tombstone_age"
            ),
        ]
        verbose_name_plural = "encrypted entries"

    def __str__(self) -> str:
        return f"{self.client_id} r{self.revision}"


class EntryRevision(EntryCiphertext):
    """An earlier version of an entry, kept so a lost or overwritten write can be found."""

    # Indexed by (entry, revision) and by the ``revision_user`` index below.
    entry = models.ForeignKey(
        EncryptedEntry, on_delete=models.CASCADE, related_name="revisions", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="entry_revisions",
        db_index=False,
    )
    revision = models.BigIntegerField()
    seq = models.BigIntegerField()
    stored_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "revision"], name="revision_entry_revision")
        ]
        indexes = [models.Index(fields=["user"], name="revision_user")]

    def __str__(self) -> str:
        return f"revision {self.revision} of entry {self.entry_id}"


class Resolution(models.TextChoices):
    LOCAL = "local", "Local"
    REMOTE = "remote", "Remote"
    MERGED = "merged", "Merged"


class EntryConflict(models.Model):
    """A push the server refused because the entry had moved on, with both versions.

    ``local_*`` is what the device pushed (``local_deleted`` for a refused delete); the
    remote version is a reference to what the server held at ``remote_revision``, never
    a copy, so a hundred conflicts over one large entry store it once. ``size_bytes``
    counts the local copy only. At most one open conflict per (entry, pushing device): a
    retried push updates it. Resolving it drops the local ciphertext and keeps the
    metadata.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entry_conflicts"
    )
    entry = models.ForeignKey(EncryptedEntry, on_delete=models.CASCADE, related_name="conflicts")
    device_id = models.CharField(max_length=64)
    base_revision = models.BigIntegerField(null=True, blank=True)
    remote_revision = models.BigIntegerField()

    local_deleted = models.BooleanField(default=False)
    local_encrypted_content = models.BinaryField(null=True)
    local_content_iv = models.BinaryField(null=True)
    local_content_tag = models.BinaryField(null=True)
    local_encrypted_embedding = models.BinaryField(null=True)
    local_embedding_iv = models.BinaryField(null=True)
    local_created_at = models.DateTimeField(null=True, blank=True)
    local_updated_at = models.DateTimeField(null=True, blank=True)

    # The remote version's ciphertext is not copied: it is the entry's version at
    # ``remote_revision`` (the entry itself, or its kept history, which keeps that
    # revision while the conflict is open). Only its small metadata is recorded here.
    remote_deleted = models.BooleanField(default=False)
    remote_device_id = models.CharField(max_length=64, blank=True, default="")
    remote_updated_at = models.DateTimeField(null=True, blank=True)

    size_bytes = models.PositiveIntegerField(default=0)
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolved_device_id = models.CharField(max_length=64, blank=True, default="")
    resolved_revision = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "device_id"],
                condition=Q(resolved_at__isnull=True),
                name="conflict_one_open_per_device",
            )
        ]
        indexes = [
            models.Index(
                fields=["user", "detected_at"],
                condition=Q(resolved_at__isnull=True),
                name="conflict_open_by_user",
            )
        ]

    def __str__(self) -> str:
        return f"conflict {self.id}"

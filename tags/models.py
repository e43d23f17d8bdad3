"""Zero-knowledge tags: the server keeps a tag's ciphertext, never its name."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# AES-256-GCM: a 12-byte nonce; the ciphertext carries its 16-byte tag appended.
NAME_IV_BYTES = 12
GCM_TAG_BYTES = 16
# HMAC-SHA256 of the normalized name, computed on the device with a key the server never sees.
NAME_DIGEST_BYTES = 32
# Names are short labels; 1 KiB of ciphertext is far more than any real tag needs.
NAME_CIPHERTEXT_MAX_BYTES = 1024

LIVE = Q(deleted_at__isnull=True)


class Tag(models.Model):
    """One user's tag. Only the device can read its name; the digest only de-duplicates.

    Every write takes a new ``revision`` and a new ``seq`` in the user's change feed (shared
    with entries), so other devices pull it with ``seq > cursor``. A deleted tag stays as a
    tombstone (``deleted_at`` set, name, nonce and digest erased) until retention prunes it,
    so those devices learn of the delete.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tags"
    )
    encrypted_name = models.BinaryField(null=True)
    name_iv = models.BinaryField(null=True)
    name_digest = models.BinaryField(null=True)
    color = models.CharField(max_length=7)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    seq = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name_digest"], condition=LIVE, name="tag_user_digest_unique"
            ),
            models.UniqueConstraint(fields=["user", "seq"], name="tag_user_seq_unique"),
            models.CheckConstraint(
                condition=(
                    LIVE
                    & Q(
                        encrypted_name__isnull=False,
                        name_iv__isnull=False,
                        name_digest__isnull=False,
                    )
                )
                | (
                    ~LIVE
                    & Q(encrypted_name__isnull=True, name_iv__isnull=True, name_digest__isnull=True)
                ),
                name="tag_name_only_while_live",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-last_used_at"], name="tag_user_last_used_idx"),
            models.Index(fields=["deleted_at"], condition=~LIVE, name="tag_tombstone_idx"),
        ]

    def __str__(self) -> str:
        return f"tag {self.id}"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

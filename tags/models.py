"""Zero-knowledge tags: the server keeps a tag's ciphertext, never its name."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# AES-256-GCM: a 12-byte nonce; the ciphertext carries its 16-byte tag appended.
NAME_IV_BYTES = 12
GCM_TAG_BYTES = 16
# HMAC-SHA256 of the normalized name, computed on the device with a key the server never sees.
NAME_DIGEST_BYTES = 32
# Names are short labels; 1 KiB of ciphertext is far more than any real tag needs.
NAME_CIPHERTEXT_MAX_BYTES = 1024


class Tag(models.Model):
    """One user's tag. Only the device can read its name; the digest only de-duplicates."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tags"
    )
    encrypted_name = models.BinaryField()
    name_iv = models.BinaryField()
    name_digest = models.BinaryField()
    color = models.CharField(max_length=7)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name_digest"], name="tag_user_digest_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "-last_used_at"], name="tag_user_last_used_idx"),
        ]

    def __str__(self) -> str:
        return f"tag {self.id}"

"""Key epochs (public CKKS contexts), encrypted metrics and their encrypted rollups."""

from django.conf import settings
from django.db import models

from analytics.formats import KeyFormat


class PublicContext(models.Model):
    """One key epoch: a public CKKS context a user uploaded. Holds no secret key.

    ``key_id`` is the lowercase hex sha256 of the exact uploaded bytes. At most one epoch
    per user is current; metrics record the epoch they were encrypted under, and sums
    never mix epochs.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="public_contexts"
    )
    key_id = models.CharField(max_length=64)
    context_bytes = models.BinaryField()
    size_bytes = models.PositiveIntegerField()
    format = models.CharField(max_length=16, choices=KeyFormat.choices)
    poly_modulus_degree = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key_id"], name="publiccontext_user_key_unique"
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_current=True),
                name="publiccontext_one_current_per_user",
            ),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"key epoch {self.key_id[:12]}"

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from accounts.tiers import PrivacyTier
from reflective.lib.json_depth import DepthCheckedJSONField


def normalize_email(email: str) -> str:
    """Emails are case-insensitive as a whole: stored and looked up in lower case."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    display_name = models.CharField(max_length=100, blank=True, default="")
    timezone = models.CharField(max_length=64, default="UTC")
    locale = models.CharField(max_length=35, default="en-US")
    privacy_tier = models.CharField(
        max_length=20, choices=PrivacyTier.choices, default=PrivacyTier.LOCAL_ONLY
    )
    sync_enabled_at = models.DateTimeField(null=True, blank=True)
    daily_word_goal = models.PositiveIntegerField(default=750)
    writing_reminder_time = models.TimeField(null=True, blank=True)
    theme_preferences = DepthCheckedJSONField(default=dict, blank=True)
    ai_features_enabled = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class AuthSession(models.Model):
    """One login: every access and refresh token carries its id, so revoking it ends both."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    # What the client called itself at login (or its User-Agent); never an IP address.
    device_name = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="authsession_user_idx")]

    def __str__(self) -> str:
        return f"session {self.id}"


class ConsentRecord(models.Model):
    """The consent ledger: every tier change, with the time the user consented."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consent_records")
    from_tier = models.CharField(max_length=20, choices=PrivacyTier.choices)
    to_tier = models.CharField(max_length=20, choices=PrivacyTier.choices)
    consent_timestamp = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    deleted_counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_tier} -> {self.to_tier}"


class Device(models.Model):
    """A device id a client reported; ids are random per install and carry no identity."""

    # Indexed by the (user, device_id) unique constraint.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices", db_index=False)
    device_id = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "device_id"], name="device_user_unique")
        ]
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return self.device_id


class StorageBound(models.Model):
    """An upper bound of the ciphertext bytes one account stores (``accounts.quotas``).

    Every write that adds bytes adds them here; deletions leave it alone, so it never
    falls below the truth. Null means unknown: the next check counts exactly.
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="storage_bound"
    )
    bytes_at_most = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"storage of {self.user_id}: at most {self.bytes_at_most}"


class TotpFactor(models.Model):
    """A TOTP second factor (RFC 6238). Enabled once ``confirmed_at`` is set.

    The secret is stored AES-GCM encrypted under a key derived from the server's
    MFA_ENCRYPTION_KEY (SECRET_KEY by default), so a database dump alone does not hold it.
    ``last_used_step`` is the newest 30-second step a code was accepted for: a code of that
    step or an older one is never accepted again.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_factor")
    secret_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"totp factor of {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time recovery code for the second factor; only its sha256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class MailToken(models.Model):
    """A single-use token mailed to the user: a password reset or an email change.

    Only the sha256 of the token is stored; ``new_email`` is set for an email change.
    """

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "password_reset"  # noqa: S105
        EMAIL_CHANGE = "email_change"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mail_tokens")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    new_email = models.EmailField(max_length=254, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"], name="mailtoken_user_purpose_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} token of {self.user_id}"

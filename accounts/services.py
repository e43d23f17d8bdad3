"""Account writes: registration, login, profile, preferences, password, deletion."""

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.models import User, normalize_email
from accounts.tiers import PrivacyTier
from accounts.tokens import TokenPair, session_start, sessions_revoke_all
from reflective.errors import ApiError
from reflective.lib.observability import FAILED_LOGINS
from reflective.lib.user_data import user_data

PREFERENCE_FIELDS = (
    "daily_word_goal",
    "writing_reminder_time",
    "theme_preferences",
    "ai_features_enabled",
    "timezone",
    "locale",
)
PROFILE_FIELDS = ("display_name", *PREFERENCE_FIELDS)


class AccountMessages:
    EMAIL_TAKEN = "An account with this email already exists."
    INVALID_CREDENTIALS = "Incorrect email or password."
    WRONG_PASSWORD = "The password is not correct."  # noqa: S105
    CURRENT_PASSWORD_REQUIRED = "Changing the email needs current_password."  # noqa: S105


def _password_checked(password: str, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ApiError(
            "weak_password", " ".join(exc.messages), fields={field: list(exc.messages)}
        ) from None


def _email_taken() -> ApiError:
    return ApiError("email_taken", AccountMessages.EMAIL_TAKEN, fields={"email": ["taken"]})


def user_register(*, email: str, password: str, **profile: Any) -> User:
    """Create a local_only account; the email is unique case-insensitively, even under races."""
    email = normalize_email(email)
    fields = {name: value for name, value in profile.items() if name in PROFILE_FIELDS}
    candidate = User(email=email, **fields)
    _password_checked(password, candidate, "password")
    if User.objects.filter(email=email).exists():
        raise _email_taken()
    candidate.set_password(password)
    _save_with_unique_email(candidate)
    return candidate


def _save_with_unique_email(user: User) -> None:
    """Save; an email another account took meanwhile (the unique index) is ``email_taken``."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise _email_taken() from None


def user_login(*, request: HttpRequest | None, email: str, password: str) -> TokenPair:
    """Check credentials and open a session. Unknown email and wrong password look the same."""
    user = authenticate(request, email=normalize_email(email), password=password)
    if not isinstance(user, User):
        FAILED_LOGINS.inc()
        raise ApiError("invalid_credentials", AccountMessages.INVALID_CREDENTIALS, status=401)
    return session_start(user=user)


def _require_password(user: User, password: str | None, field: str) -> None:
    if not password or not user.check_password(password):
        raise ApiError(
            "wrong_password", AccountMessages.WRONG_PASSWORD, status=403, fields={field: ["wrong"]}
        )


def user_profile_update(*, user: User, current_password: str | None = None, **changes: Any) -> User:
    """Update profile and preference fields; an email change needs the current password.

    Tier and password are never changed here (old clients echo them back).
    """
    email = changes.pop("email", None)
    if email is not None and normalize_email(email) != user.email:
        if not current_password:
            raise ApiError(
                "current_password_required",
                AccountMessages.CURRENT_PASSWORD_REQUIRED,
                fields={"current_password": [AccountMessages.CURRENT_PASSWORD_REQUIRED]},
            )
        _require_password(user, current_password, "current_password")
        if User.objects.filter(email=normalize_email(email)).exclude(pk=user.pk).exists():
            raise _email_taken()
        user.email = normalize_email(email)
    for name, value in changes.items():
        if name in PROFILE_FIELDS:
            setattr(user, name, value)
    _save_with_unique_email(user)
    return user


def user_preferences_update(*, user: User, **preferences: Any) -> User:
    for name, value in preferences.items():
        if name in PREFERENCE_FIELDS:
            setattr(user, name, value)
    user.save()
    return user


def user_password_change(*, user: User, current_password: str, new_password: str) -> TokenPair:
    """Set a new password and revoke every session; the caller gets a fresh session."""
    _require_password(user, current_password, "current_password")
    _password_checked(new_password, user, "new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        sessions_revoke_all(user=user)
        return session_start(user=user)


def user_delete(*, user: User, password: str) -> dict[str, int]:
    """Delete the account and every row it owns; returns what was deleted per kind."""
    _require_password(user, password, "password")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        counts = user_data.purge(locked, PrivacyTier.LOCAL_ONLY)
        locked.delete()
    return counts

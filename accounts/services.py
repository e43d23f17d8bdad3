"""Account writes: registration, login, profile, preferences, password, deletion."""

from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest

from accounts.credentials import (
    AccountMessages,
    email_taken,
    password_checked,
    require_password,
    save_with_unique_email,
)
from accounts.mfa import challenge_issue, challenge_user, mfa_enabled, second_factor_verify
from accounts.models import User, normalize_email
from accounts.password_reset import email_change_request
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


def user_register(*, email: str, password: str, **profile: Any) -> User:
    """Create a local_only account; the email is unique case-insensitively, even under races."""
    email = normalize_email(email)
    fields = {name: value for name, value in profile.items() if name in PROFILE_FIELDS}
    candidate = User(email=email, **fields)
    password_checked(password, candidate, "password")
    if User.objects.filter(email=email).exists():
        raise email_taken()
    candidate.set_password(password)
    save_with_unique_email(candidate)
    return candidate


def user_login(
    *, request: HttpRequest | None, email: str, password: str, device_name: str = ""
) -> TokenPair:
    """Check credentials and open a session. Unknown email and wrong password look the same.

    With a second factor enabled, a right password opens no session: the answer is a 401
    ``mfa_required`` with a challenge to send back with a code (``mfa_login``).
    """
    user = authenticate(request, email=normalize_email(email), password=password)
    if not isinstance(user, User):
        FAILED_LOGINS.inc()
        raise ApiError("invalid_credentials", AccountMessages.INVALID_CREDENTIALS, status=401)
    if mfa_enabled(user=user):
        raise challenge_issue(user=user, device_name=device_name)
    return session_start(user=user, device_name=device_name)


def mfa_login(*, mfa_challenge: str, code: str = "", recovery_code: str = "") -> TokenPair:
    """Second step of a login: a fresh code (or an unused recovery code) opens the session."""
    user, device_name = challenge_user(mfa_challenge)
    with transaction.atomic():
        second_factor_verify(user=user, code=code, recovery_code=recovery_code, refused_status=401)
        return session_start(user=user, device_name=device_name)


def user_profile_update(*, user: User, current_password: str | None = None, **changes: Any) -> User:
    """Update profile and preference fields; an email change needs the current password.

    A new email is not set here: a confirmation link goes to the new address, and the
    address changes when it is opened (``email_change_confirm``). Tier and password are
    never changed here (old clients echo them back).
    """
    email = changes.pop("email", None)
    new_email = None
    if email is not None and normalize_email(email) != user.email:
        if not current_password:
            raise ApiError(
                "current_password_required",
                AccountMessages.CURRENT_PASSWORD_REQUIRED,
                fields={"current_password": [AccountMessages.CURRENT_PASSWORD_REQUIRED]},
            )
        require_password(user, current_password, "current_password")
        if User.objects.filter(email=normalize_email(email)).exclude(pk=user.pk).exists():
            raise email_taken()
        new_email = normalize_email(email)
    for name, value in changes.items():
        if name in PROFILE_FIELDS:
            setattr(user, name, value)
    with transaction.atomic():
        save_with_unique_email(user)
        if new_email is not None:
            email_change_request(user=user, new_email=new_email)
    return user


def user_preferences_update(*, user: User, **preferences: Any) -> User:
    for name, value in preferences.items():
        if name in PREFERENCE_FIELDS:
            setattr(user, name, value)
    user.save()
    return user


def user_password_change(*, user: User, current_password: str, new_password: str) -> TokenPair:
    """Set a new password and revoke every session; the caller gets a fresh session."""
    require_password(user, current_password, "current_password")
    password_checked(new_password, user, "new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        sessions_revoke_all(user=user)
        return session_start(user=user)


def user_delete(*, user: User, password: str) -> dict[str, int]:
    """Delete the account and every row it owns; returns what was deleted per kind."""
    require_password(user, password, "password")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        counts = user_data.purge(locked, PrivacyTier.LOCAL_ONLY)
        locked.delete()
    return counts

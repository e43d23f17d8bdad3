"""Checks shared by every account write: password strength and confirmation, unique email."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from reflective.errors import ApiError


class AccountMessages:
    EMAIL_TAKEN = "An account with this email already exists."
    INVALID_CREDENTIALS = "Incorrect email or password."
    WRONG_PASSWORD = "The password is not correct."  # noqa: S105
    CURRENT_PASSWORD_REQUIRED = "Changing the email needs current_password."  # noqa: S105


def password_checked(password: str, user: User, field: str) -> None:
    """Django's password validators; a weak password is 400 ``weak_password`` on ``field``."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ApiError(
            "weak_password", " ".join(exc.messages), fields={field: list(exc.messages)}
        ) from None


def email_taken() -> ApiError:
    return ApiError("email_taken", AccountMessages.EMAIL_TAKEN, fields={"email": ["taken"]})


def save_with_unique_email(user: User) -> None:
    """Save; an email another account took meanwhile (the unique index) is ``email_taken``."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise email_taken() from None


def require_password(user: User, password: str | None, field: str) -> None:
    """403 ``wrong_password`` on ``field`` unless ``password`` is the account's."""
    if not password or not user.check_password(password):
        raise ApiError(
            "wrong_password", AccountMessages.WRONG_PASSWORD, status=403, fields={field: ["wrong"]}
        )

"""Password reset and email change by mailed link.

The login password protects the account, not the journal: the encryption keys live in the
client's key file. So a reset loses nothing, and it touches no data. It does revoke every
session, and it leaves a second factor in place (a reset link alone never gets past it).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.credentials import password_checked, save_with_unique_email
from accounts.mail_tokens import link_with_token, mail_send, mail_token_issue, mail_token_redeem
from accounts.models import MailToken, User, normalize_email
from accounts.tokens import sessions_revoke_all

Purpose = MailToken.Purpose


class ResetMessages:
    REQUESTED = (
        "If an account uses this address, a reset link is on its way. "
        "It works for {minutes} minutes, once."
    )
    RESET_SUBJECT = "Reset your Reflective password"
    RESET_BODY = (
        "Someone (hopefully you) asked to reset the password of your Reflective account.\n\n"
        "Open this link within {minutes} minutes to choose a new one:\n\n{link}\n\n"
        "Reset token: {token}\n\n"
        "Your journal stays encrypted with the keys on your devices; a new password changes "
        "nothing there. Every device will have to log in again. If this was not you, ignore "
        "this mail: your password stays as it is.\n"
    )
    CHANGE_SUBJECT = "Confirm your new Reflective email address"
    CHANGE_BODY = (
        "Confirm that this address should become the login of your Reflective account:\n\n"
        "{link}\n\nConfirmation token: {token}\n\nThe link works for {hours} hours, once. "
        "Until it is opened, the account keeps its current address.\n"
    )
    CHANGED_SUBJECT = "Your Reflective email address was changed"
    CHANGED_BODY = (
        "The login address of your Reflective account was changed to another address. "
        "If this was not you, reset your password and contact the operator of this server.\n"
    )


def password_reset_request(*, email: str) -> None:
    """Mail a reset link if the address has an active account; the caller answers the same."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        return
    minutes = settings.PASSWORD_RESET_MINUTES
    with transaction.atomic():
        token = mail_token_issue(
            user=user, purpose=Purpose.PASSWORD_RESET, lifetime=timedelta(minutes=minutes)
        )
        body = ResetMessages.RESET_BODY.format(
            minutes=minutes, link=link_with_token(settings.PASSWORD_RESET_URL, token), token=token
        )
        mail_send(to=user.email, subject=ResetMessages.RESET_SUBJECT, body=body)


def password_reset_confirm(*, token: str, new_password: str) -> None:
    """Set the new password with a valid token, once, and revoke every session.

    The token is redeemed only if the password passes the validators, so a weak password
    does not burn the link.
    """
    with transaction.atomic():
        redeemed = mail_token_redeem(token=token, purpose=Purpose.PASSWORD_RESET)
        user = redeemed.user
        password_checked(new_password, user, "new_password")
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        sessions_revoke_all(user=user)


def email_change_request(*, user: User, new_email: str) -> None:
    """Mail a confirmation link to ``new_email``; the address changes only once it is opened."""
    hours = settings.EMAIL_CHANGE_HOURS
    with transaction.atomic():
        token = mail_token_issue(
            user=user,
            purpose=Purpose.EMAIL_CHANGE,
            lifetime=timedelta(hours=hours),
            new_email=new_email,
        )
        body = ResetMessages.CHANGE_BODY.format(
            link=link_with_token(settings.EMAIL_CHANGE_URL, token), token=token, hours=hours
        )
        mail_send(to=new_email, subject=ResetMessages.CHANGE_SUBJECT, body=body)


def pending_email_of(*, user: User) -> str | None:
    return (
        MailToken.objects.filter(
            user=user,
            purpose=Purpose.EMAIL_CHANGE,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .values_list("new_email", flat=True)
        .first()
    )


def email_change_confirm(*, token: str) -> User:
    """Make the pending address the login, once; tell the old address it changed."""
    with transaction.atomic():
        redeemed = mail_token_redeem(token=token, purpose=Purpose.EMAIL_CHANGE)
        user = redeemed.user
        old_email = user.email
        user.email = redeemed.new_email
        save_with_unique_email(user)
        mail_send(
            to=old_email, subject=ResetMessages.CHANGED_SUBJECT, body=ResetMessages.CHANGED_BODY
        )
    return user

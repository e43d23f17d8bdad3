"""Single-use tokens sent by mail (password reset, email change), and sending the mail.

A token is 32 random bytes (URL-safe base64); only its sha256 is stored, so a database
dump holds no usable link. A token is redeemed once, under its row lock, before it expires.
Mails are never logged; a failed delivery is logged by exception type only.
"""

import hashlib
import logging
import secrets
import threading
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from accounts.models import MailToken, User
from reflective.errors import ApiError

logger = logging.getLogger("reflective.accounts")


class MailTokenMessages:
    INVALID = "The link is invalid, expired or already used. Ask for a new one."


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mail_token_issue(*, user: User, purpose: str, lifetime: timedelta, new_email: str = "") -> str:
    """A new token for ``purpose``; earlier unused ones of the same purpose stop working."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    MailToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    MailToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=_token_hash(token),
        new_email=new_email,
        expires_at=now + lifetime,
    )
    return token


def mail_token_redeem(*, token: str, purpose: str) -> MailToken:
    """Mark the token used and return it; call inside ``transaction.atomic``.

    Unknown, expired, used and wrong-purpose tokens are one 400 ``invalid_token``.
    """
    found = (
        MailToken.objects.select_for_update()
        .select_related("user")
        .filter(
            token_hash=_token_hash(token),
            purpose=purpose,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )
    if found is None:
        raise ApiError("invalid_token", MailTokenMessages.INVALID, fields={"token": ["invalid"]})
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    return found


def link_with_token(base_url: str, token: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}{urlencode({'token': token})}"


def _deliver(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - a mail server's failure must not reach the client
        logger.warning("mail not delivered", extra={"error": type(error).__name__})


def mail_send(*, to: str, subject: str, body: str) -> None:
    """Send once the transaction commits; in the background unless configured otherwise."""
    message = EmailMessage(subject=subject, body=body, to=[to])

    def send() -> None:
        if settings.EMAIL_SEND_IN_BACKGROUND:
            threading.Thread(target=_deliver, args=(message,), daemon=False).start()
        else:
            _deliver(message)

    transaction.on_commit(send)

"""Throttles: logins and registrations per client IP and per target account, password
confirmations (with a valid access token) per account and per login session, second-factor
codes per account, mails per IP and per address, and session management per account.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.mfa import challenge_read
from accounts.models import User, normalize_email
from accounts.tokens import session_id_of


class LoginIPThrottle(SimpleRateThrottle):
    scope = "login_ip"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterIPThrottle(LoginIPThrottle):
    scope = "register_ip"


class MailIPThrottle(LoginIPThrottle):
    scope = "mail_ip"


class MailTokenIPThrottle(LoginIPThrottle):
    scope = "mail_token_ip"


def _body_field(request: Request, *names: str) -> str | None:
    data: Any = request.data
    if not hasattr(data, "get"):
        return None
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class LoginAccountThrottle(SimpleRateThrottle):
    """Limits guesses against one account, whichever IPs they come from."""

    scope = "login_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        login = _body_field(request, "email", "username")
        if login is None:
            return None
        # Hashed so the cache never holds email addresses.
        ident = hashlib.sha256(normalize_email(login).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class MailAddressThrottle(LoginAccountThrottle):
    """Reset mails per target address, whether or not it has an account: no mail bombing."""

    scope = "mail_address"


def _account_ident(request: Request) -> str | None:
    """The account a request is about: its login, or the user of its mfa_challenge."""
    if isinstance(request.user, User):
        return str(request.user.pk)
    challenge = _body_field(request, "mfa_challenge")
    read = challenge_read(challenge) if challenge else None
    return read[0] if read else None


class MfaAccountThrottle(SimpleRateThrottle):
    """Second-factor codes per account, whichever sessions or IPs send them."""

    scope = "mfa_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        ident = _account_ident(request)
        if ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class MfaAccountHourThrottle(MfaAccountThrottle):
    scope = "mfa_account_hour"


def mfa_throttles() -> list[BaseThrottle]:
    return [MfaAccountThrottle(), MfaAccountHourThrottle()]


class PasswordAccountThrottle(SimpleRateThrottle):
    """Password confirmations per account, whichever of its sessions sends them."""

    scope = "password_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": str(request_user(request).pk)}


class SecurityAccountThrottle(PasswordAccountThrottle):
    """Listing and ending sessions, and reading the second-factor status, per account."""

    scope = "security_account"


class PasswordSessionThrottle(SimpleRateThrottle):
    """Password confirmations per login session: one stolen access token is no oracle."""

    scope = "password_session"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        session_id = session_id_of(request.auth)
        if session_id is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": session_id}


def password_throttles() -> list[BaseThrottle]:
    return [PasswordSessionThrottle(), PasswordAccountThrottle()]


def _lock_account(user_id: str) -> None:
    list(User.objects.select_for_update(no_key=True).filter(pk=user_id).values("pk"))


@contextmanager
def account_row_locked(request: Request) -> Iterator[None]:
    """Hold the row lock of the account a request is about, in a transaction, while counting.

    Throttles keep their counts in the cache by reading, appending and writing back, so
    concurrent attempts would all read the same count. Counted under the account's row
    lock they are counted one by one, across workers. FOR NO KEY UPDATE: synced writes
    hold KEY SHARE on the row, and this never waits for them.
    """
    with transaction.atomic():
        ident = _account_ident(request)
        if ident is not None:
            _lock_account(ident)
        yield

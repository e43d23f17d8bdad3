"""Throttles: logins and registrations per client IP and per target account, and password
confirmations (with a valid access token) per account and per login session.
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
from accounts.models import User, normalize_email
from accounts.tokens import session_id_of


class LoginIPThrottle(SimpleRateThrottle):
    scope = "login_ip"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterIPThrottle(LoginIPThrottle):
    scope = "register_ip"


class LoginAccountThrottle(SimpleRateThrottle):
    """Limits guesses against one account, whichever IPs they come from."""

    scope = "login_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data: Any = request.data
        login = data.get("email") or data.get("username") if hasattr(data, "get") else None
        if not isinstance(login, str) or not login:
            return None
        # Hashed so the cache never holds email addresses.
        ident = hashlib.sha256(normalize_email(login).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PasswordAccountThrottle(SimpleRateThrottle):
    """Password confirmations per account, whichever of its sessions sends them."""

    scope = "password_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": str(request_user(request).pk)}


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


@contextmanager
def account_row_locked(request: Request) -> Iterator[None]:
    """Hold the requesting account's row lock, in a transaction, while counting attempts.

    Throttles keep their counts in the cache by reading, appending and writing back, so
    concurrent attempts would all read the same count. Counted under the account's row
    lock they are counted one by one, across workers. FOR NO KEY UPDATE: synced writes
    hold KEY SHARE on the row, and this never waits for them.
    """
    with transaction.atomic():
        user = request_user(request)
        list(User.objects.select_for_update(no_key=True).filter(pk=user.pk).values("pk"))
        yield

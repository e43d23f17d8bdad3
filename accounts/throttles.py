"""Login and registration throttles: per client IP and per target account."""

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import normalize_email


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

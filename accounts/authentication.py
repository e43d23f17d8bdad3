"""Bearer-token authentication that also checks the token's login session is live."""

from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from accounts.models import AuthSession, User
from accounts.tokens import session_id_of
from reflective.lib.db import sessions as db_sessions


def live_session_user(session_id: str) -> User | None:
    """The active user whose session ``session_id`` is not revoked, else None."""
    return db_sessions.live_session_user(User, AuthSession, session_id)


def request_user(request: Request) -> User:
    """The account a request was authenticated as (for views that require a login)."""
    user = request.user
    assert isinstance(user, User)
    return user


class SessionJWTAuthentication(JWTAuthentication):
    """One query per request: the session joined with its user."""

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        session_id = session_id_of(validated_token)
        if session_id is None:
            raise InvalidToken("Token has no session.")
        user = live_session_user(session_id)
        if user is None:
            raise AuthenticationFailed("Session revoked.", code="session_revoked")
        return user

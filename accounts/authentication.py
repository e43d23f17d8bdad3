"""Bearer-token authentication that also checks the token's login session is live."""

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from accounts.models import AuthSession, User
from accounts.tokens import session_id_of


class SessionJWTAuthentication(JWTAuthentication):
    """One query per request: the session joined with its user."""

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        session_id = session_id_of(validated_token)
        if session_id is None:
            raise InvalidToken("Token has no session.")
        session = (
            AuthSession.objects.select_related("user")
            .filter(id=session_id, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if session is None:
            raise AuthenticationFailed("Session revoked.", code="session_revoked")
        return session.user

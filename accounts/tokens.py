"""Login sessions and their JWTs.

Each login is an ``AuthSession``; its id rides in every token as the ``sid`` claim.
Refresh tokens rotate (the old one is blacklisted), logout revokes the session, and a
password change revokes every session, so no access or refresh token outlives them.

Rotation is one locked step: the session row is locked while the token is checked
against the blacklist and blacklisted, so of two refreshes racing with one token exactly
one wins. A rotated token presented again is a replay (a stolen copy, or a client that
refreshed twice): the whole session is revoked, and its holder must log in again.
"""

import logging
import uuid
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AuthSession, User
from reflective.errors import ApiError

SESSION_CLAIM = "sid"
logger = logging.getLogger("reflective.accounts")


class TokenMessages:
    INVALID_REFRESH = "The refresh token is invalid, expired or revoked. Log in again."


class TokenPair(TypedDict):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


def _pair_for(refresh: RefreshToken) -> TokenPair:
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
    }


def _refresh_for(user: User, session: AuthSession) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = str(session.id)
    return refresh


def session_start(*, user: User, device_name: str = "") -> TokenPair:
    """Open a login session and return its first token pair."""
    with transaction.atomic():
        session = AuthSession.objects.create(user=user, device_name=device_name[:100])
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        return _pair_for(_refresh_for(user, session))


def _invalid_refresh() -> ApiError:
    return ApiError("invalid_refresh_token", TokenMessages.INVALID_REFRESH, status=401)


class _PresentedRefreshToken(RefreshToken):
    """A refresh token checked for signature, type and expiry when parsed.

    Whether it was already rotated is checked later, under the session's lock, where a
    rotated one is told apart as a replay instead of being refused like a forged one.
    """

    def check_blacklist(self) -> None:
        return None


def _parse_refresh(raw: str) -> RefreshToken:
    try:
        return _PresentedRefreshToken(raw)  # type: ignore[arg-type]
    except TokenError:
        raise _invalid_refresh() from None


def _was_rotated(refresh: RefreshToken) -> bool:
    jti = refresh.payload[api_settings.JTI_CLAIM]
    return BlacklistedToken.objects.filter(token__jti=jti).exists()


def _live_session(refresh: RefreshToken) -> AuthSession:
    session_id = session_id_of(refresh)
    if session_id is None:
        raise _invalid_refresh()
    session = (
        AuthSession.objects.select_for_update()
        .select_related("user")
        .filter(id=session_id, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if session is None:
        raise _invalid_refresh()
    return session


def _session_revoke(session: AuthSession) -> None:
    session.revoked_at = timezone.now()
    session.save(update_fields=["revoked_at"])


def _replayed(session: AuthSession, refresh: RefreshToken) -> bool:
    """Whether ``refresh`` was rotated already; if so its session is revoked here.

    Call under the session's lock. The revocation commits with the caller's transaction,
    which must end before the 401 is raised.
    """
    if not _was_rotated(refresh):
        return False
    _session_revoke(session)
    logger.warning("refresh token replayed; session revoked", extra={"session": str(session.id)})
    return True


def _rotate(session: AuthSession, refresh: RefreshToken) -> TokenPair:
    refresh.blacklist()
    session.refreshed_at = timezone.now()
    session.save(update_fields=["refreshed_at"])
    return _pair_for(_refresh_for(session.user, session))


def session_refresh(*, refresh_token: str) -> TokenPair:
    """Rotate a refresh token: blacklist it and issue a new pair in the same session.

    Invariant: a refresh token is rotated at most once. The check and the blacklisting
    happen under the session row's lock; a token already rotated revokes the session.
    """
    refresh = _parse_refresh(refresh_token)
    with transaction.atomic():
        session = _live_session(refresh)
        pair = None if _replayed(session, refresh) else _rotate(session, refresh)
    if pair is None:
        raise _invalid_refresh()
    return pair


def session_end(*, refresh_token: str) -> None:
    """Logout: revoke the refresh token's session (its access tokens stop working too).

    The refresh token itself proves the session, so a device whose access token expired
    can still log out. A token already rotated still revokes its session, as a replay,
    and is answered 401 like one.
    """
    refresh = _parse_refresh(refresh_token)
    with transaction.atomic():
        session = _live_session(refresh)
        replayed = _replayed(session, refresh)
        if not replayed:
            _session_revoke(session)
            refresh.blacklist()
    if replayed:
        raise _invalid_refresh()


def sessions_revoke_all(*, user: User) -> int:
    """Revoke every session and blacklist every outstanding refresh token of ``user``."""
    revoked = AuthSession.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in pending], ignore_conflicts=True
    )
    return revoked


def session_id_of(token: Any) -> str | None:
    """The token's session id, or None when absent or not a UUID."""
    try:
        return str(uuid.UUID(str(token.get(SESSION_CLAIM))))
    except ValueError:
        return None

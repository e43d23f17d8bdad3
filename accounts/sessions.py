"""Login sessions a user can see and end: list, revoke one, revoke all but the current one.

A session is live while it is not revoked and its newest refresh token has not expired
(it was opened or last refreshed within REFRESH_TOKEN_LIFETIME). "Last used" is the last
login or refresh: access tokens are checked without a write, so it is exact to within
one access-token lifetime. Sessions hold no IP address.
"""

from datetime import datetime
from typing import TypedDict

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import AuthSession, User
from reflective.errors import ApiError, Messages


class SessionView(TypedDict):
    id: str
    device_name: str
    created_at: datetime
    last_used_at: datetime
    current: bool


def _live_sessions(user: User) -> QuerySet[AuthSession]:
    oldest = timezone.now() - settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    return (
        AuthSession.objects.filter(user=user, revoked_at__isnull=True)
        .annotate(last_used=Coalesce("refreshed_at", "created_at"))
        .filter(last_used__gt=oldest)
    )


def sessions_of(*, user: User, current_session_id: str | None) -> list[SessionView]:
    """The user's live sessions, most recently used first, the caller's marked current."""
    sessions = _live_sessions(user).order_by("-last_used", "-created_at")
    return [
        {
            "id": str(session.id),
            "device_name": session.device_name,
            "created_at": session.created_at,
            "last_used_at": session.last_used,  # type: ignore[attr-defined]
            "current": str(session.id) == current_session_id,
        }
        for session in sessions
    ]


def session_revoke(*, user: User, session_id: str) -> None:
    """End one of the user's sessions (its tokens stop working); another user's is a 404."""
    revoked = _live_sessions(user).filter(id=session_id).update(revoked_at=timezone.now())
    if revoked == 0:
        raise ApiError("not_found", Messages.NOT_FOUND, status=404)


def sessions_revoke_others(*, user: User, current_session_id: str | None) -> int:
    """End every live session of the user except the caller's; returns how many ended."""
    others = AuthSession.objects.filter(user=user, revoked_at__isnull=True)
    if current_session_id is not None:
        others = others.exclude(id=current_session_id)
    return others.update(revoked_at=timezone.now())

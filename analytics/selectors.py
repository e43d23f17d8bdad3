"""Reads of the analytics app: key epochs."""

from accounts.models import User
from analytics.models import PublicContext


def current_key_id(*, user: User) -> str | None:
    """The key_id of the user's current key epoch, or None before any key was uploaded."""
    return (
        PublicContext.objects.filter(user=user, is_current=True)
        .values_list("key_id", flat=True)
        .first()
    )

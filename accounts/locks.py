"""The per-user lock that keeps writes and tier changes from interleaving."""

from accounts.models import User
from accounts.tiers import tier_require
from reflective.lib.db.locks import locked_row_read


def user_tier_lock(*, user: User, required_tier: str) -> str:
    """Share-lock the user's row and check its tier; call inside ``transaction.atomic``.

    Writers of synced data take this shared lock, and a tier change takes the exclusive
    one, so a downgrade waits for in-flight writes to commit and then purges them, and a
    write that starts after the downgrade sees the new tier and is refused with
    ``TierRequiredError``. Writers do not block each other here. Always take this lock before
    any app's own per-user lock (the lock order is in docs/ARCHITECTURE.md).

    KEY SHARE is the weakest lock that still conflicts with the tier change's FOR UPDATE:
    updates of other account columns (``last_login`` at every login, preferences) take
    FOR NO KEY UPDATE and so never wait for in-flight writes.
    """
    row = locked_row_read(User, where="id", key=user.pk, fields=("privacy_tier",), lock="KEY SHARE")
    current = row[0] if row else ""
    tier_require(current, required_tier)
    user.privacy_tier = current
    return current

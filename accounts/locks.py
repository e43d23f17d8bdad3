"""The per-user lock that keeps writes and tier changes from interleaving."""

from django.db import connection

from accounts.models import User
from accounts.tiers import tier_allows
from reflective.errors import ApiError


class TierMessages:
    TIER_REQUIRED = "This needs the {tier} privacy tier; your account is on {current}."


def user_tier_lock(*, user: User, required_tier: str) -> str:
    """Share-lock the user's row and check its tier; call inside ``transaction.atomic``.

    Writers of synced data take this shared lock, and a tier change takes the exclusive
    one, so a downgrade waits for in-flight writes to commit and then purges them, and a
    write that starts after the downgrade sees the new tier and is refused. Writers do not
    block each other here. Always take this lock before any app's own per-user lock.

    KEY SHARE is the weakest lock that still conflicts with the tier change's FOR UPDATE:
    updates of other account columns (``last_login`` at every login, preferences) take
    FOR NO KEY UPDATE and so never wait for in-flight writes.
    """
    suffix = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        user_id = User._meta.pk.get_db_prep_value(user.pk, connection)
        cursor.execute(f"SELECT privacy_tier FROM {table} WHERE id = %s{suffix}", [user_id])
        row = cursor.fetchone()
    current = row[0] if row else ""
    if not row or not tier_allows(current, required_tier):
        raise ApiError(
            "tier_required",
            TierMessages.TIER_REQUIRED.format(tier=required_tier, current=current or "none"),
            status=403,
            extra={"required_tier": required_tier, "current_tier": current},
        )
    user.privacy_tier = current
    return current

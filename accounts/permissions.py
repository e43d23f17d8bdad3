"""The one guard for privacy tiers on the API: a DRF permission class per tier.

A view lists the tier it needs in ``permission_classes``; a request below it is answered
403 ``tier_required`` in the one error shape. Writes check the tier again under the user's
lock (``accounts.locks.user_tier_lock``), since a tier change may land between the two.
"""

from typing import Any

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from accounts.tiers import PrivacyTier, tier_require


class _TierPermission(IsAuthenticated):
    required_tier: str

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        tier_require(request.user.privacy_tier, self.required_tier)  # type: ignore[union-attr]
        return True


class FullSyncTier(_TierPermission):
    """Entries, revisions, conflicts and tags: only full_sync keeps them on the server."""

    required_tier = PrivacyTier.FULL_SYNC


class AnalyticsSyncTier(_TierPermission):
    """Encrypted metrics and aggregates: analytics_sync and full_sync."""

    required_tier = PrivacyTier.ANALYTICS_SYNC

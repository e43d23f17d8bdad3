"""Privacy tiers and what each one allows the server to keep."""

from django.db import models


class PrivacyTier(models.TextChoices):
    LOCAL_ONLY = "local_only", "Local only"
    ANALYTICS_SYNC = "analytics_sync", "Analytics sync"
    FULL_SYNC = "full_sync", "Full sync"


TIER_RANK = {
    PrivacyTier.LOCAL_ONLY: 0,
    PrivacyTier.ANALYTICS_SYNC: 1,
    PrivacyTier.FULL_SYNC: 2,
}


def tier_allows(current: str, required: str) -> bool:
    """True when a user on ``current`` may store what ``required`` needs."""
    return TIER_RANK[PrivacyTier(current)] >= TIER_RANK[PrivacyTier(required)]


def features_for(tier: str) -> dict[str, bool]:
    analytics = tier_allows(tier, PrivacyTier.ANALYTICS_SYNC)
    full = tier_allows(tier, PrivacyTier.FULL_SYNC)
    return {
        "local_storage": True,
        "local_themes": True,
        "local_search": True,
        "analytics_sync": analytics,
        "cloud_sync": full,
        "cross_device_search": full,
        "encrypted_backup": full,
    }

"""Privacy tiers and what each one allows the server to keep."""

from django.db import models

from reflective.errors import ApiError


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


def tiers_allowing(required: str) -> tuple[str, ...]:
    """Every tier on which a user may store what ``required`` needs."""
    return tuple(tier.value for tier in PrivacyTier if tier_allows(tier, required))


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


class TierMessages:
    TIER_REQUIRED = "This needs the {tier} privacy tier; your account is on {current}."


class TierRequiredError(ApiError):
    """403 ``tier_required``: the account's tier does not allow what was asked."""

    def __init__(self, *, required: str, current: str) -> None:
        super().__init__(
            "tier_required",
            TierMessages.TIER_REQUIRED.format(tier=required, current=current or "none"),
            status=403,
            extra={"required_tier": required, "current_tier": current},
        )


def tier_require(current: str, required: str) -> None:
    """Raise ``TierRequiredError`` unless a user on ``current`` may keep what ``required`` does."""
    if not current or not tier_allows(current, required):
        raise TierRequiredError(required=required, current=current)

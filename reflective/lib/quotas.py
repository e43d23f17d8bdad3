"""Per-account quotas: how much one account may store, checked in the write's transaction.

Each app reports what an account uses (``user_data.register_usage``) and calls
``quota_check`` inside its write transaction before anything is written, so a refused
request leaves everything stored as it was. Only writes that add something are checked;
deleting is always allowed, even over a quota that an operator lowered.
"""

from enum import StrEnum

from django.conf import settings

from reflective.errors import ApiError


class Quota(StrEnum):
    STORAGE_BYTES = "storage_bytes"
    ENTRIES = "entries"
    METRICS = "metrics"
    DEVICES = "devices"
    OPEN_CONFLICTS_PER_ENTRY = "open_conflicts_per_entry"
    KEY_EPOCHS = "key_epochs"
    TAGS = "tags"


class QuotaMessages:
    EXCEEDED = (
        "This request would take the account past its {quota} quota: {used} used of "
        "{limit}, and the request adds {adding}. Nothing of it was stored; delete data "
        "you no longer need to make room."
    )


# 422: the request is well formed but cannot be carried out while the account holds what
# it holds. 413 is about the size of one body, 409 already means a sync conflict on the
# same endpoints, 403 a missing tier, and 429 promises that waiting helps; here it does not.
QUOTA_STATUS = 422


def quota_limit(quota: Quota) -> int:
    return int(getattr(settings, f"QUOTA_{quota.name}"))


def quota_exceeded(quota: Quota, *, used: int, adding: int) -> ApiError:
    limit = quota_limit(quota)
    return ApiError(
        "quota_exceeded",
        QuotaMessages.EXCEEDED.format(quota=quota.value, used=used, limit=limit, adding=adding),
        status=QUOTA_STATUS,
        extra={"quota": quota.value, "limit": limit, "used": used, "requested": adding},
    )


def quota_check(quota: Quota, *, used: int, adding: int) -> None:
    """Refuse with 422 ``quota_exceeded`` when ``used + adding`` passes the limit."""
    if adding > 0 and used + adding > quota_limit(quota):
        raise quota_exceeded(quota, used=used, adding=adding)


def usage_json(usage: dict[str, int]) -> dict[str, dict[str, int]]:
    """Every quota with its limit and current use, for stats and the admin."""
    return {
        quota.value: {"limit": quota_limit(quota), "used": int(usage.get(quota.value, 0))}
        for quota in Quota
    }

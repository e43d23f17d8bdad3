"""Privacy tier changes: upgrades with consent and a public key, downgrades that purge."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import ConsentRecord, User
from accounts.tiers import TIER_RANK, PrivacyTier, features_for, tier_allows
from analytics.selectors import current_key_id
from analytics.services.keys import public_context_install
from reflective.errors import ApiError
from reflective.lib.user_data import user_data

CONSENT_MAX_FUTURE = timedelta(days=1)


class PrivacyMessages:
    CONSENT_REQUIRED = "Moving to a higher tier needs consent_timestamp (when the user agreed)."
    CONSENT_IN_FUTURE = "consent_timestamp is in the future."
    KEY_REQUIRED = "This tier needs he_public_key: your public CKKS context, base64."
    KEY_NOT_ALLOWED = "he_public_key is only accepted with analytics_sync or full_sync."
    REVOKED = "Cloud data deleted; the account is now local only."


@dataclass(frozen=True)
class TierChange:
    user: User
    previous_tier: str
    deleted: dict[str, int]


def privacy_state(*, user: User) -> dict[str, Any]:
    """``sync_enabled``: anything (entries or metrics) goes to the server, since consent."""
    syncing = user.privacy_tier != PrivacyTier.LOCAL_ONLY
    return {
        "current_tier": user.privacy_tier,
        "sync_enabled": syncing,
        "sync_enabled_at": _sync_consent_time(user) if syncing else None,
        "features_available": features_for(user.privacy_tier),
        "analytics_key_id": current_key_id(user=user),
    }


def _sync_consent_time(user: User) -> datetime | None:
    """The consent that turned sync on; accounts moved up before it was kept use the ledger."""
    if user.sync_enabled_at is not None:
        return user.sync_enabled_at
    moves_up = ConsentRecord.objects.filter(user=user, from_tier=PrivacyTier.LOCAL_ONLY)
    record = moves_up.last()
    return None if record is None else record.consent_timestamp


def _checked_consent(consent: datetime | None, *, upgrading: bool) -> datetime:
    if consent is None:
        if upgrading:
            raise ApiError(
                "consent_required",
                PrivacyMessages.CONSENT_REQUIRED,
                fields={"consent_timestamp": [PrivacyMessages.CONSENT_REQUIRED]},
            )
        return timezone.now()
    if consent > timezone.now() + CONSENT_MAX_FUTURE:
        raise ApiError(
            "invalid",
            PrivacyMessages.CONSENT_IN_FUTURE,
            fields={"consent_timestamp": [PrivacyMessages.CONSENT_IN_FUTURE]},
        )
    return consent


def _install_key(user: User, tier: str, key: bytes | None) -> None:
    needs_key = tier_allows(tier, PrivacyTier.ANALYTICS_SYNC)
    if key is not None and not needs_key:
        raise ApiError(
            "he_public_key_not_allowed",
            PrivacyMessages.KEY_NOT_ALLOWED,
            fields={"he_public_key": [PrivacyMessages.KEY_NOT_ALLOWED]},
        )
    if key is not None:
        public_context_install(user=user, key_bytes=key)
    elif needs_key and current_key_id(user=user) is None:
        raise ApiError(
            "he_public_key_required",
            PrivacyMessages.KEY_REQUIRED,
            fields={"he_public_key": [PrivacyMessages.KEY_REQUIRED]},
        )


def _with_alias(counts: dict[str, int]) -> dict[str, int]:
    return {**counts, "deleted_backups": counts.get("deleted_entries", 0)}


def privacy_change(
    *,
    user: User,
    tier: str,
    consent_timestamp: datetime | None = None,
    he_public_key: bytes | None = None,
) -> TierChange:
    """Move ``user`` to ``tier``; a downgrade deletes, in the same transaction, all it forbids.

    Holds the user row exclusively, so no sync, analytics or tag write (which share-lock it)
    can land between the purge and the tier change. Every change is written to the ledger.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        previous = locked.privacy_tier
        upgrading = TIER_RANK[PrivacyTier(tier)] > TIER_RANK[PrivacyTier(previous)]
        consent = _checked_consent(consent_timestamp, upgrading=upgrading)
        _install_key(locked, tier, he_public_key)
        deleted = user_data.purge(locked, tier)
        if tier != previous:
            _tier_record(locked, previous, tier, consent, deleted)
    return TierChange(user=locked, previous_tier=previous, deleted=_with_alias(deleted))


def _tier_record(
    user: User, previous: str, tier: str, consent: datetime, deleted: dict[str, int]
) -> None:
    user.privacy_tier = tier
    if tier == PrivacyTier.LOCAL_ONLY:
        user.sync_enabled_at = None
    elif previous == PrivacyTier.LOCAL_ONLY:
        user.sync_enabled_at = consent
    user.save(update_fields=["privacy_tier", "sync_enabled_at", "updated_at"])
    ConsentRecord.objects.create(
        user=user,
        from_tier=previous,
        to_tier=tier,
        consent_timestamp=consent,
        deleted_counts={name: n for name, n in deleted.items() if n},
    )


def tier_change_report(change: TierChange) -> dict[str, Any]:
    """The state after a change, the tier before it and what it deleted, as the API answers."""
    state = privacy_state(user=change.user)
    return {**state, "previous_tier": change.previous_tier, **change.deleted}


def privacy_revoke(*, user: User) -> TierChange:
    """Withdraw every consent: back to local_only and delete everything in the cloud."""
    return privacy_change(user=user, tier=PrivacyTier.LOCAL_ONLY)

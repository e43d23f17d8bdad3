"""Key epochs: installing a user's public CKKS context and re-keying."""

import hashlib

from django.conf import settings
from django.db import transaction

from accounts.locks import user_tier_lock
from accounts.models import User
from accounts.tiers import PrivacyTier
from analytics.formats.codec import public_context_inspect
from analytics.formats.errors import BlobRejectedError
from analytics.models import MetricSeries, PublicContext
from reflective.errors import ApiError
from reflective.lib.db.advisory import advisory_xact_lock
from reflective.lib.quotas import Quota, quota_check


def public_context_install(*, user: User, key_bytes: bytes) -> str:
    """Validate a public CKKS context and make it the user's current key epoch; returns key_id.

    Invariant: a user has at most one current epoch, and an epoch's bytes are exactly what
    was uploaded (key_id = sha256 of them). Re-uploading the current key changes nothing;
    re-uploading an older one makes it current again. A context holding a secret key is
    refused before anything parses or stores it. The caller may already hold the
    transaction and the user's tier lock (lifecycle.privacy does, on a tier change).
    """
    try:
        info = public_context_inspect(key_bytes, max_bytes=settings.HE_PUBLIC_KEY_MAX_BYTES)
    except BlobRejectedError as rejected:
        raise ApiError(rejected.code, rejected.detail, status=422) from None
    key_id = hashlib.sha256(key_bytes).hexdigest()
    with transaction.atomic():
        _key_change_lock(user)
        epochs = PublicContext.objects.select_for_update().filter(user_id=user.pk)
        existing = epochs.filter(key_id=key_id).metadata().first()
        if existing is not None and existing.is_current:
            return key_id
        epochs.filter(is_current=True).update(is_current=False)
        MetricSeries.objects.filter(user_id=user.pk).version_bump()
        if existing is not None:
            existing.is_current = True
            existing.save(update_fields=["is_current"])
        else:
            quota_check(Quota.KEY_EPOCHS, used=epochs.count(), adding=1)
            PublicContext.objects.create(
                user=user,
                key_id=key_id,
                context_bytes=bytes(key_bytes),
                size_bytes=len(key_bytes),
                format=info.format,
                seal_version=info.seal_version,
                poly_modulus_degree=info.poly_modulus_degree,
                is_current=True,
            )
    return key_id


def public_context_rekey(*, user: User, key_bytes: bytes) -> PublicContext:
    """A re-key from the client: needs the analytics tier; returns the now current epoch."""
    with transaction.atomic():
        user_tier_lock(user=user, required_tier=PrivacyTier.ANALYTICS_SYNC)
        key_id = public_context_install(user=user, key_bytes=key_bytes)
        return PublicContext.objects.get(user=user, key_id=key_id)


def _key_change_lock(user: User) -> None:
    """Serialize key changes of one user (two first uploads would both insert a current row).

    An advisory lock, not the user row: writers of metrics only share-lock the user row, so
    this does not block them.
    """
    advisory_xact_lock(f"analytics-key:{user.pk}")

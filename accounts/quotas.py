"""The storage quota of an account, over every app's ciphertext, checked cheaply per write."""

from dataclasses import dataclass

from django.db.models import F

from accounts.models import StorageBound, User
from reflective.lib.db.counters import bound_raise
from reflective.lib.quotas import Quota, quota_check, quota_limit
from reflective.lib.user_data import user_data


@dataclass(frozen=True)
class StorageReserved:
    """Bytes a write already added to the account's bound (with its feed position, in one
    statement: ``changefeed.feed.feed_write_open``), and the bound that came back (None:
    unknown). ``reserved`` is at least what the write can store."""

    reserved: int
    bound: int | None


def storage_check(user: User, *, adding: int, reserved: StorageReserved | None = None) -> None:
    """Refuse a write that would take the account past QUOTA_STORAGE_BYTES.

    Call inside the write's transaction, after its other locks, before it stores anything.
    Summing every table of a large account costs milliseconds (8 ms at 20,000 entries),
    so each account keeps an upper bound of what it stores: every checked write adds its
    bytes to it in one upsert, which also locks the row until commit, so concurrent
    writes of any kind are counted. Only when the bound would pass the quota are the
    tables summed; the check is then made on the exact figure and the bound reset to it.

    With ``reserved`` the bound was raised ahead by its bytes; what the write did not use
    (an identical retry) is handed back, so the bound ends as the unreserved check leaves it.
    """
    if reserved is not None:
        bound = _reserved_settle(user, max(adding, 0), reserved)
    elif adding > 0:
        bound = _bound_raise(user, adding)
    if adding <= 0:
        return
    if bound is not None and bound <= quota_limit(Quota.STORAGE_BYTES):
        return
    used = user_data.storage_bytes(user)
    quota_check(Quota.STORAGE_BYTES, used=used, adding=adding)
    StorageBound.objects.filter(user=user).update(bytes_at_most=used + adding)


def _bound_raise(user: User, adding: int) -> int | None:
    """Add ``adding`` to the account's bound (created unknown) and return the new bound."""
    return bound_raise(StorageBound, User, user_pk=user.pk, adding=adding)


def _reserved_settle(user: User, adding: int, reserved: StorageReserved) -> int | None:
    """The bound once it holds exactly ``adding`` more bytes than before the write."""
    if adding == reserved.reserved:
        return reserved.bound
    if adding > reserved.reserved:
        return _bound_raise(user, adding - reserved.reserved)
    unused = reserved.reserved - adding
    StorageBound.objects.filter(user=user).update(bytes_at_most=F("bytes_at_most") - unused)
    return None if reserved.bound is None else reserved.bound - unused

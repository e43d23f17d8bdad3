"""Devices a user's clients report (random per-install ids, no identity)."""

import re
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Device, User
from reflective.errors import ApiError
from reflective.lib.db.devices import device_seen_upsert
from reflective.lib.quotas import Quota, quota_check

# Also the path converter of device ids (accounts/urls.py): one rule for both.
DEVICE_ID_REGEX = r"[A-Za-z0-9_.:-]{1,64}"
DEVICE_ID_PATTERN = re.compile(rf"^{DEVICE_ID_REGEX}\Z")


class DeviceMessages:
    INVALID = "device_id must be 1-64 characters of letters, digits, '_', '-', '.' or ':'."


def device_id_validate(device_id: str) -> str:
    if not DEVICE_ID_PATTERN.match(device_id):
        raise ApiError(
            "invalid_device_id",
            DeviceMessages.INVALID,
            fields={"device_id": [DeviceMessages.INVALID]},
        )
    return device_id


# (user pk, device id) -> monotonic time this process last recorded it, after commit.
_recorded_at: dict[tuple[Any, str], float] = {}
_RECORDED_MAX = 10_000


def device_seen(*, user: User, device_id: str) -> None:
    """Record that ``device_id`` just talked to the server: one upsert statement.

    Every synced write and pull calls this, so a device this worker recorded less than
    DEVICE_SEEN_REFRESH_SECONDS ago is not written again: ``last_seen_at`` is that precise,
    and a push saves a statement and a row update. Only a committed record counts.
    """
    if not device_seen_due(user=user, device_id=device_id):
        return
    key = (user.pk, device_id)
    _device_quota_check(user, device_id)
    device_seen_upsert(Device, User, user_pk=user.pk, device_id=device_id, seen_at=timezone.now())
    transaction.on_commit(lambda: _remember(key))


def device_seen_due(*, user: User, device_id: str) -> bool:
    """Whether ``device_seen`` would write: this worker has not recorded the device lately."""
    refresh = float(settings.DEVICE_SEEN_REFRESH_SECONDS)
    return time.monotonic() - _recorded_at.get((user.pk, device_id), -refresh) >= refresh


def _device_quota_check(user: User, device_id: str) -> None:
    """A device the account has not seen yet needs room under QUOTA_DEVICES.

    Runs only when this worker has not recorded the device lately, so a known device costs
    one indexed lookup a minute. Two new devices racing may both pass at the limit: the
    overshoot is bounded by the number of concurrent requests.
    """
    devices = Device.objects.filter(user=user)
    if devices.filter(device_id=device_id).exists():
        return
    quota_check(Quota.DEVICES, used=devices.count(), adding=1)


def _remember(key: tuple[Any, str]) -> None:
    if len(_recorded_at) >= _RECORDED_MAX:
        _recorded_at.clear()
    _recorded_at[key] = time.monotonic()


def device_forget(*, user: User, device_id: str) -> None:
    deleted, _ = Device.objects.filter(user=user, device_id=device_id).delete()
    _recorded_at.pop((user.pk, device_id), None)
    if not deleted:
        raise ApiError("not_found", "No such device.", status=404)

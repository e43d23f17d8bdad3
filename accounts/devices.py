"""Devices a user's clients report (random per-install ids, no identity)."""

import re

from django.utils import timezone

from accounts.models import Device, User
from reflective.errors import ApiError

DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


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


def device_seen(*, user: User, device_id: str) -> None:
    """Record that ``device_id`` just talked to the server: one upsert query."""
    Device.objects.bulk_create(
        [Device(user=user, device_id=device_id, last_seen_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "device_id"],
        update_fields=["last_seen_at"],
    )


def device_forget(*, user: User, device_id: str) -> None:
    deleted, _ = Device.objects.filter(user=user, device_id=device_id).delete()
    if not deleted:
        raise ApiError("not_found", "No such device.", status=404)

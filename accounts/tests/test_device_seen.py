"""Devices are recorded on every synced request, and rewritten at most once a refresh period."""

from typing import Any

import pytest
from django.db import transaction

from accounts.devices import device_forget, device_seen
from accounts.models import Device, User

pytestmark = pytest.mark.django_db(transaction=True)


class _RolledBackError(Exception):
    pass


def _seen(user: User, device_id: str) -> None:
    with transaction.atomic():
        device_seen(user=user, device_id=device_id)


def _last_seen(user: User, device_id: str) -> Any:
    return Device.objects.get(user=user, device_id=device_id).last_seen_at


def test_a_device_seen_again_within_the_period_is_not_rewritten(alice: User) -> None:
    _seen(alice, "phone-1")
    first = _last_seen(alice, "phone-1")
    _seen(alice, "phone-1")
    assert _last_seen(alice, "phone-1") == first


def test_after_the_period_the_device_is_rewritten(alice: User, settings: Any) -> None:
    settings.DEVICE_SEEN_REFRESH_SECONDS = 0
    _seen(alice, "phone-1")
    first = _last_seen(alice, "phone-1")
    _seen(alice, "phone-1")
    assert _last_seen(alice, "phone-1") > first


def _seen_then_rolled_back(user: User, device_id: str) -> None:
    with transaction.atomic():
        device_seen(user=user, device_id=device_id)
        raise _RolledBackError


def test_a_rolled_back_write_does_not_count_as_recorded(alice: User) -> None:
    with pytest.raises(_RolledBackError):
        _seen_then_rolled_back(alice, "phone-1")
    _seen(alice, "phone-1")
    assert Device.objects.filter(user=alice, device_id="phone-1").exists()


def test_a_forgotten_device_is_recorded_again_at_once(alice: User) -> None:
    _seen(alice, "phone-1")
    device_forget(user=alice, device_id="phone-1")
    _seen(alice, "phone-1")
    assert Device.objects.filter(user=alice, device_id="phone-1").exists()


def test_each_user_has_their_own_record_of_the_same_device_id(alice: User, bob: User) -> None:
    _seen(alice, "shared-id")
    _seen(bob, "shared-id")
    assert Device.objects.filter(device_id="shared-id").count() == 2

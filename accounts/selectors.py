"""Account reads: stats, consent history, devices and the streaming export."""

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Max
from django.db.models.query import QuerySet
from django.utils import timezone

from accounts.models import ConsentRecord, Device, User
from accounts.serializers import ConsentRecordSerializer, DeviceSerializer, UserSerializer
from reflective.lib.quotas import usage_json
from reflective.lib.user_data import user_data

EXPORT_FORMAT = "reflective-export/1"


def devices_of(*, user: User) -> QuerySet[Device]:
    return Device.objects.filter(user=user)


def consent_history(*, user: User) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(user=user)


def user_profile(*, user: User) -> dict[str, Any]:
    """The user object older clients expect: profile, journal facts, and no word total.

    ``total_words_written`` is always null: words are inside encrypted entries, which the
    server cannot read. Clients sum their encrypted ``word_count`` metric instead.
    """
    return {
        **UserSerializer(user).data,
        "total_words_written": None,
        **user_data.profile(user),
    }


def user_stats(*, user: User) -> dict[str, Any]:
    """What the server honestly knows: counts, sizes and times, never content."""
    devices = devices_of(user=user).aggregate(last=Max("last_seen_at"))
    return {
        "privacy_tier": user.privacy_tier,
        "devices": devices_of(user=user).count(),
        "last_sync_at": devices["last"],
        **user_data.stats(user),
        "quotas": quota_usage(user=user),
    }


def quota_usage(*, user: User) -> dict[str, dict[str, int]]:
    """Each quota's limit and what the account uses of it."""
    return usage_json(user_data.usage(user) | {"devices": devices_of(user=user).count()})


def _json_array(rows: Iterable[Any]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + json.dumps(row, default=str)
    yield "]"


def export_chunks(*, user: User) -> Iterator[str]:
    """The whole account as one JSON document, produced piece by piece (never all in memory)."""
    header = {"format": EXPORT_FORMAT, "exported_at": timezone.now().isoformat()}
    yield json.dumps(header)[:-1]
    yield ',"user":' + json.dumps(UserSerializer(user).data, default=str)
    sections: list[tuple[str, Iterable[Any]]] = [
        ("consent_history", (ConsentRecordSerializer(r).data for r in consent_history(user=user))),
        ("devices", (DeviceSerializer(d).data for d in devices_of(user=user))),
        *user_data.export_sections(user),
    ]
    for name, rows in sections:
        yield f",{json.dumps(name)}:"
        yield from _json_array(rows)
    yield "}"

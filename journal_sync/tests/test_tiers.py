"""The tier gate and the downgrade purge: below full_sync nothing of sync remains."""

from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tiers import PrivacyTier
from conftest import client_for
from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from journal_sync.services.push import entries_push
from journal_sync.services.versions import EntryWrite
from journal_sync.tests.conftest import payload, pull_all, push, seal, write
from reflective.errors import ApiError
from reflective.lib.user_data import user_data

GATED = [
    ("post", "/api/sync/backup", payload("entry-1", "text")),
    ("post", "/api/sync/batch", {"items": [payload("entry-1", "text")]}),
    ("get", "/api/sync/backups", None),
    ("delete", "/api/sync/backup/entry-1", None),
    ("get", "/api/sync/backups/entry-1/revisions", None),
    ("get", "/api/sync/conflicts", None),
    ("post", "/api/sync/conflicts/00000000-0000-4000-8000-000000000000/resolve", {}),
    ("get", "/api/sync/state", None),
]


@pytest.mark.parametrize("tier", [PrivacyTier.LOCAL_ONLY, PrivacyTier.ANALYTICS_SYNC])
@pytest.mark.parametrize(("method", "path", "body"), GATED, ids=[f"{m} {p}" for m, p, _ in GATED])
def test_sync_needs_full_sync(make_user: Any, tier: str, method: str, path: str, body: Any) -> None:
    client = client_for(make_user("someone@example.com", tier))
    kwargs = {"format": "json"} if body is not None else {}
    response = getattr(client, method)(path, body, **kwargs)
    assert response.status_code == 403
    assert response.json()["code"] == "tier_required"
    assert not EncryptedEntry.objects.exists()


def test_a_write_is_refused_when_the_tier_dropped_after_login(
    laptop: APIClient, alice: User
) -> None:
    """The view's early check sees the login's user; the service re-checks under the lock."""
    stale_copy = User.objects.get(pk=alice.pk)
    User.objects.filter(pk=alice.pk).update(privacy_tier=PrivacyTier.LOCAL_ONLY)
    with pytest.raises(ApiError) as refused:
        entries_push(
            user=stale_copy,
            writes=[EntryWrite("entry-1", "laptop", 0, seal("text", "entry-1"))],
        )
    assert refused.value.code == "tier_required"


def test_anyone_may_wipe_their_sync_data(api_charlie: APIClient) -> None:
    response = api_charlie.delete("/api/sync/backup/content")
    assert response.status_code == 200
    assert response.json() == {
        "deleted_entries": 0,
        "deleted_revisions": 0,
        "deleted_conflicts": 0,
        "deleted_backups": 0,
    }


def _fill(user: User) -> None:
    """Two entries, one with history, one conflict holding ciphertext."""
    write(user, "entry-1", "first", device="laptop")
    write(user, "entry-1", "second", device="laptop", base=1)
    write(user, "entry-1", "stale", device="phone", base=1)
    write(user, "entry-2", "other", device="laptop")


def _left(user: User) -> tuple[int, int, int]:
    return (
        EncryptedEntry.objects.filter(user=user).count(),
        EntryRevision.objects.filter(user=user).count(),
        EntryConflict.objects.filter(user=user).count(),
    )


def test_wiping_content_removes_entries_history_and_conflict_ciphertext(
    laptop: APIClient, alice: User, bob: User
) -> None:
    """A conflict row holds the refused version's ciphertext: a wipe must take it too."""
    _fill(alice)
    _fill(bob)
    response = laptop.delete("/api/sync/backup/content")
    assert response.json() == {
        "deleted_entries": 2,
        "deleted_revisions": 1,
        "deleted_conflicts": 1,
        "deleted_backups": 2,
    }
    assert _left(alice) == (0, 0, 0)
    assert _left(bob) == (2, 1, 1)


def test_after_a_wipe_an_old_cursor_must_resync(laptop: APIClient, alice: User) -> None:
    _fill(alice)
    _, cursor = pull_all(laptop)
    laptop.delete("/api/sync/backup/content")
    response = laptop.get("/api/sync/backups", {"cursor": cursor})
    assert response.status_code == 200  # the cursor saw everything that was wiped
    write(alice, "entry-3", "new")
    stale = laptop.get("/api/sync/backups", {"cursor": "djE6MQ"})  # position 1
    assert stale.status_code == 410
    assert stale.json()["code"] == "resync_required"


@pytest.mark.parametrize("tier", [PrivacyTier.LOCAL_ONLY, PrivacyTier.ANALYTICS_SYNC])
def test_a_downgrade_purges_everything_in_one_transaction(
    alice: User, bob: User, tier: str
) -> None:
    _fill(alice)
    _fill(bob)
    with transaction.atomic():
        counts = user_data.purge(alice, tier)
    assert counts["deleted_entries"] == 2
    assert counts["deleted_revisions"] == 1
    assert counts["deleted_conflicts"] == 1
    assert counts["deleted_backups"] == 2
    assert _left(alice) == (0, 0, 0)
    assert _left(bob) == (2, 1, 1)


def test_a_purge_that_rolls_back_keeps_everything(alice: User) -> None:
    _fill(alice)

    class AbortError(Exception):
        pass

    def purge_then_fail() -> None:
        with transaction.atomic():
            user_data.purge(alice, PrivacyTier.LOCAL_ONLY)
            raise AbortError

    with pytest.raises(AbortError):
        purge_then_fail()
    assert _left(alice) == (2, 1, 1)


def test_staying_on_full_sync_purges_nothing(alice: User) -> None:
    _fill(alice)
    with transaction.atomic():
        counts = user_data.purge(alice, PrivacyTier.FULL_SYNC)
    assert counts["deleted_entries"] == 0
    assert _left(alice) == (2, 1, 1)


def test_a_downgrade_through_the_privacy_endpoint_purges_sync_data(
    laptop: APIClient, alice: User
) -> None:
    _fill(alice)
    response = laptop.put(
        "/api/users/me/privacy",
        {"privacy_tier": "local_only", "consent_timestamp": "2026-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert _left(alice) == (0, 0, 0)
    assert push(laptop, payload("entry-9", "text")).status_code == 403

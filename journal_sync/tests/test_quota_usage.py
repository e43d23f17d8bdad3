"""Stats and the admin show each quota's limit and what the account uses of it."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.selectors.summary import bytes_stored
from journal_sync.tests.conftest import write

QUOTAS = {
    "storage_bytes",
    "entries",
    "metrics",
    "devices",
    "open_conflicts_per_entry",
    "key_epochs",
    "tags",
}


def test_stats_show_use_against_every_quota(
    laptop: APIClient, alice: User, settings: object
) -> None:
    settings.QUOTA_ENTRIES = 1234  # type: ignore[attr-defined]
    write(alice, "entry-1", "server", device="laptop")
    write(alice, "entry-2", "other", device="laptop")
    write(alice, "entry-1", "stale", device="phone", base=0)
    write(alice, "entry-1", "stale", device="tablet", base=0)

    quotas = laptop.get("/api/users/me/stats").json()["quotas"]
    assert set(quotas) == QUOTAS
    assert quotas["entries"] == {"limit": 1234, "used": 2}
    assert quotas["devices"]["used"] == 3
    assert quotas["open_conflicts_per_entry"]["used"] == 2
    assert quotas["storage_bytes"]["used"] == bytes_stored(user=alice)
    assert quotas["metrics"]["used"] == quotas["tags"]["used"] == 0


@pytest.fixture
def staff_client(make_user: object) -> Client:
    staff = User.objects.create_superuser("admin@example.com", "admin-password-123")
    client = Client()
    client.force_login(staff)
    return client


def test_the_admin_shows_quota_use(staff_client: Client, alice: User, settings: object) -> None:
    settings.QUOTA_ENTRIES = 1234  # type: ignore[attr-defined]
    write(alice, "entry-1", "text")
    html = staff_client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert "entries: 1 of 1234" in html

from io import StringIO

from django.core.management import call_command

from accounts.models import User
from accounts.tiers import PrivacyTier
from conftest import client_for
from journal_sync.models import EncryptedEntry
from journal_sync.tests.conftest import payload


def _entry(user: User) -> None:
    response = client_for(user).post("/api/sync/backup", payload("e1", "a private thought"))
    assert response.status_code == 201


def test_cleanup_purges_entries_left_under_a_lower_tier(alice: User) -> None:
    _entry(alice)
    User.objects.filter(pk=alice.pk).update(privacy_tier=PrivacyTier.LOCAL_ONLY)
    dry = StringIO()
    call_command("tier_cleanup", "--dry-run", stdout=dry)
    assert "would delete deleted_entries: 1" in dry.getvalue()
    assert EncryptedEntry.objects.filter(user=alice).count() == 1
    out = StringIO()
    call_command("tier_cleanup", "--tag-days", "30", stdout=out)
    assert "deleted deleted_entries: 1" in out.getvalue()
    assert not EncryptedEntry.objects.filter(user=alice).exists()


def test_cleanup_keeps_what_the_tier_allows(alice: User) -> None:
    _entry(alice)
    call_command("tier_cleanup", stdout=StringIO())
    assert EncryptedEntry.objects.filter(user=alice).count() == 1

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from accounts.mail_tokens import mail_token_issue
from accounts.models import MailToken, User
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


def test_cleanup_deletes_spent_mail_tokens(alice: User) -> None:
    week = timedelta(days=7)
    mail_token_issue(user=alice, purpose=MailToken.Purpose.PASSWORD_RESET, lifetime=week)
    mail_token_issue(user=alice, purpose=MailToken.Purpose.PASSWORD_RESET, lifetime=week)
    mail_token_issue(user=alice, purpose=MailToken.Purpose.EMAIL_CHANGE, lifetime=-week)

    out = StringIO()
    call_command("tier_cleanup", stdout=out)

    assert "spent_mail_tokens: 2" in out.getvalue()  # the voided link and the expired one
    kept = MailToken.objects.get()
    assert kept.used_at is None
    assert kept.expires_at > timezone.now()

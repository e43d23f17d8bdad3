"""``seed_demo --with-data``: encrypted demo data the reference client can read back."""

import io
import re
import stat

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from journal_sync.models import EncryptedEntry, EntryConflict
from lifecycle.demo import DEMO_DAYS, DEMO_USERS, demo_journal
from reflective_client import keyfile
from reflective_client.cli import main
from reflective_client.textstats import word_count

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def seed(key_dir) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--with-data", "--key-dir", str(key_dir), stdout=out)
    return out.getvalue()


def cli(live_server, key_dir, *argv: str) -> str:
    out = io.StringIO()
    email = "test@example.com"
    path = keyfile.key_path(email, directory=key_dir)
    args = ["--server", live_server.url, "--as", email, "--key-file", str(path), *argv]
    assert main(args, out=out) == 0
    return out.getvalue()


def test_demo_data_decrypts_with_the_demo_key_files(live_server, tmp_path):
    report = seed(tmp_path)
    for email, _password, _tier in DEMO_USERS:
        path = keyfile.key_path(email, directory=tmp_path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, email
    assert "1 open conflict" in report

    journal = demo_journal("test@example.com", days=DEMO_DAYS, today=timezone.now())
    listing = cli(live_server, tmp_path, "entries")
    assert f"{len(journal)} entries" in listing
    assert journal[0].text in listing
    assert "Added on the phone" in listing  # the entry's current revision

    weekly = cli(live_server, tmp_path, "insights", "--bucket", "week")
    sums = [int(n) for n in re.findall(r"^\s+\d{4}-\d\d-\d\d\s+(\d+)", weekly, re.MULTILINE)]
    assert sum(sums) == sum(word_count(entry.text) for entry in journal)

    conflicts = cli(live_server, tmp_path, "conflicts")
    assert "Edited on the laptop" in conflicts
    assert "1 open conflict\n" in conflicts


def test_seeding_again_adds_nothing(tmp_path):
    seed(tmp_path)
    counts = (EncryptedEntry.objects.count(), EntryConflict.objects.count())
    report = seed(tmp_path)
    assert "already seeded" in report
    assert (EncryptedEntry.objects.count(), EntryConflict.objects.count()) == counts


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_reset_is_refused_on_a_remote_database(settings):
    # Django reads DATABASES once per connection; only the refusal check sees this copy.
    # (An SQLite file is always on this machine, so the remote one is PostgreSQL.)
    remote = {
        **settings.DATABASES["default"],
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db.internal.example",
    }
    settings.DATABASES = {**settings.DATABASES, "default": remote}
    with pytest.raises(CommandError, match="non-local database"):
        call_command("seed_demo", "--reset", "--with-data", stdout=io.StringIO())

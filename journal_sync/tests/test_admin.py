"""The admin shows sync metadata and sizes; ciphertext is never rendered or editable."""

import base64

import pytest
from django.test import Client

from accounts.models import User
from journal_sync.models import EncryptedEntry, EntryConflict, EntryRevision
from journal_sync.tests.conftest import write


@pytest.fixture
def admin_client_for_sync(make_user: object) -> Client:
    staff = User.objects.create_superuser("admin@example.com", "admin-password-123")
    client = Client()
    client.force_login(staff)
    return client


def test_admin_pages_never_show_ciphertext(admin_client_for_sync: Client, alice: User) -> None:
    write(alice, "entry-1", "first", device="laptop")
    write(alice, "entry-1", "second", device="laptop", base=1)
    write(alice, "entry-1", "stale", device="phone", base=1)
    entry = EncryptedEntry.objects.get(client_id="entry-1")
    revision = EntryRevision.objects.get()
    conflict = EntryConflict.objects.get()
    secrets = [
        bytes(entry.encrypted_content or b""),
        bytes(revision.encrypted_content or b""),
        bytes(conflict.local_encrypted_content or b""),
    ]
    pages = [
        "/admin/journal_sync/encryptedentry/",
        f"/admin/journal_sync/encryptedentry/{entry.pk}/change/",
        "/admin/journal_sync/entryrevision/",
        f"/admin/journal_sync/entryrevision/{revision.pk}/change/",
        "/admin/journal_sync/entryconflict/",
        f"/admin/journal_sync/entryconflict/{conflict.pk}/change/",
        "/admin/changefeed/syncstate/",
    ]
    for page in pages:
        response = admin_client_for_sync.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        for secret in secrets:
            assert base64.b64encode(secret).decode() not in html
            assert secret.hex() not in html
        assert "encrypted_content" not in html
        assert "content_iv" not in html
    sizes = admin_client_for_sync.get("/admin/journal_sync/encryptedentry/").content.decode()
    assert str(entry.size_bytes) in sizes


def test_sync_rows_cannot_be_edited_in_the_admin(
    admin_client_for_sync: Client, alice: User
) -> None:
    write(alice, "entry-1", "first")
    entry = EncryptedEntry.objects.get()
    response = admin_client_for_sync.post(
        f"/admin/journal_sync/encryptedentry/{entry.pk}/change/", {"revision": 99}
    )
    assert response.status_code == 403
    assert EncryptedEntry.objects.get().revision == 1

"""The reference client's edits keep what the entry was created with."""

import secrets

import pytest

from reflective_client import ReflectiveClient
from reflective_client.keyfile import KeyMaterial
from tests.e2e.conftest import RunningServer

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

CREATED = "2026-01-02T03:04:05+00:00"


def test_an_edit_keeps_the_entry_s_creation_time(gunicorn_server: RunningServer) -> None:
    email, password = "edit-writer@example.com", f"pw {secrets.token_urlsafe(18)}"
    keys = KeyMaterial.generate(email)
    writer = ReflectiveClient(keys, gunicorn_server.url)
    writer.api.register(email, password)
    writer.login(password)
    writer.account.set_tier("full_sync")
    assert writer.journal.write("day-1", "A first draft.", created_at=CREATED).status == "stored"
    assert writer.journal.write("day-1", "The draft, rewritten.").revision == 2
    page = writer.api.call("GET", "/api/sync/backups", params={"limit": "10"})
    (entry,) = page["backups"]
    assert (entry["revision"], entry["created_at"]) == (2, "2026-01-02T03:04:05Z")

"""Reference-client devices for the fault tests, and batch bodies sealed once for retries."""

import secrets
from typing import Any

from accounts.models import User
from accounts.tokens import session_start
from reflective_client import ReflectiveClient
from reflective_client.keyfile import KeyMaterial
from reflective_client.sync import sealed_entry

PASSWORD = "a fault tolerant passphrase 7"


def full_sync_writer(server_url: str, email: str) -> ReflectiveClient:
    """A new account on ``server_url`` at the full_sync tier, logged in on one device."""
    client = ReflectiveClient(KeyMaterial.generate(email), server_url)
    client.api.register(email, PASSWORD)
    client.login(PASSWORD)
    client.account.set_tier("full_sync")
    return client


def other_device(client: ReflectiveClient) -> ReflectiveClient:
    """The same account on a second install, with an empty replica."""
    keys = client.keys.for_device(f"other-{secrets.token_hex(4)}")
    device = ReflectiveClient(keys, client.api.base_url)
    device.login(PASSWORD)
    return device


def sealed_item(keys: KeyMaterial, entry_id: str, text: str, base_revision: int) -> dict[str, Any]:
    """One batch item, encrypted once: a retry must send these very bytes again."""
    return dict(sealed_entry(keys, entry_id, text, base_revision))


def device_of(user: User, server_url: str) -> ReflectiveClient:
    """A device of an account the test made in the database, logged in with real tokens."""
    client = ReflectiveClient(KeyMaterial.generate(user.email), server_url)
    tokens = session_start(user=user)
    client.api.access_token = str(tokens["access_token"])
    client.api.refresh_token = str(tokens["refresh_token"])
    return client

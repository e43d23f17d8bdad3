"""Helpers for sync tests: real AES-256-GCM entries, pushes through the API and services."""

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from rest_framework.test import APIClient

from accounts.models import User
from conftest import client_for
from journal_sync.services.push import PushResult, entries_push
from journal_sync.services.versions import EntryContent, EntryWrite

ENTRY_KEY = AESGCM.generate_key(bit_length=256)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def seal(text: str, entry_id: str) -> EntryContent:
    """Encrypt like the desktop client: 12-byte IV, 16-byte tag, the entry id as AAD."""
    iv = os.urandom(12)
    sealed = AESGCM(ENTRY_KEY).encrypt(iv, text.encode(), entry_id.encode())
    return EntryContent(encrypted_content=sealed[:-16], content_iv=iv, content_tag=sealed[-16:])


def unseal(item: dict[str, Any], entry_id: str) -> str:
    content = base64.b64decode(item["encrypted_content"])
    iv = base64.b64decode(item.get("content_iv") or item["iv"])
    tag = base64.b64decode(item.get("content_tag") or item["tag"])
    return AESGCM(ENTRY_KEY).decrypt(iv, content + tag, entry_id.encode()).decode()


def payload(
    entry_id: str,
    text: str,
    *,
    device: str = "device-a",
    base: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    content = seal(text, entry_id)
    body: dict[str, Any] = {
        "id": entry_id,
        "encrypted_content": b64(content.encrypted_content),
        "content_iv": b64(content.content_iv),
        "content_tag": b64(content.content_tag or b""),
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:05Z",
        "device_id": device,
        **extra,
    }
    if base is not None:
        body["base_revision"] = base
    return body


def push(client: APIClient, body: dict[str, Any]) -> Any:
    return client.post("/api/sync/backup", body, format="json")


def pull_all(client: APIClient, cursor: str | None = None, **params: Any) -> tuple[list[Any], str]:
    """Every page after ``cursor``; returns the items and the final cursor."""
    items: list[Any] = []
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/sync/backups", query)
        assert response.status_code == 200, response.json()
        body = response.json()
        items.extend(body["backups"])
        cursor = body["next_cursor"]
        if not body["has_more"]:
            assert cursor is not None
            return items, cursor


def write(
    user: User, entry_id: str, text: str, *, device: str = "device-a", base: int | None = 0
) -> PushResult:
    """Push one entry through the service (for concurrency tests and fixtures)."""
    entry = EntryWrite(entry_id, device, base, seal(text, entry_id))
    return entries_push(user=user, writes=[entry])[0]


@pytest.fixture
def laptop(alice: User) -> APIClient:
    return client_for(alice)


@pytest.fixture
def phone(alice: User) -> APIClient:
    return client_for(alice)

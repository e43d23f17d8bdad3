"""Refused ciphertext and keys answer 422, and the schema says so for those operations."""

import base64
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from journal_sync.tests.conftest import payload
from tags.models import NAME_CIPHERTEXT_MAX_BYTES
from tags.tests.conftest import name_payload


def _documented(api: APIClient, method: str, path: str) -> set[str]:
    schema = api.get("/api/schema/", {"format": "json"}).json()
    return set(schema["paths"][path][method]["responses"])


def _oversized(limit: int) -> str:
    return base64.b64encode(bytes(limit + 1)).decode()


def _answers(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_a_garbage_public_key_on_upgrade_is_a_documented_422(api_charlie: APIClient) -> None:
    body = {
        "privacy_tier": "analytics_sync",
        "consent_timestamp": "2026-01-01T00:00:00Z",
        "he_public_key": base64.b64encode(b"not a key").decode(),
    }
    response = api_charlie.put("/api/users/me/privacy", body)
    assert response.status_code == 422
    assert "422" in _documented(api_charlie, "put", "/api/users/me/privacy")


def test_an_oversized_batch_item_is_a_documented_422(api_alice: APIClient) -> None:
    item = payload("entry-1", "text")
    item["encrypted_content"] = _oversized(int(settings.ENTRY_CIPHERTEXT_MAX_BYTES))
    response = api_alice.post("/api/sync/batch", {"items": [item]})
    assert _answers(response) == (422, "ciphertext_too_large")
    assert "422" in _documented(api_alice, "post", "/api/sync/batch")


@pytest.mark.parametrize("method", ["post", "patch"])
def test_an_oversized_tag_name_is_a_documented_422(api_alice: APIClient, method: str) -> None:
    tag = api_alice.post("/api/tags", name_payload("Walks")).json()
    body = name_payload("Walks") | {"encrypted_name": _oversized(NAME_CIPHERTEXT_MAX_BYTES)}
    path = "/api/tags" if method == "post" else f"/api/tags/{tag['id']}"
    response = getattr(api_alice, method)(path, body)
    assert _answers(response) == (422, "ciphertext_too_large")
    schema_path = "/api/tags" if method == "post" else "/api/tags/{tag_id}"
    assert "422" in _documented(api_alice, method, schema_path)

"""Every operation that can store something new documents 422 quota_exceeded."""

import pytest
from rest_framework.test import APIClient

from journal_sync.tests.conftest import payload
from reflective.lib.openapi import QUOTA_COMPONENT, QUOTA_OPERATIONS


def test_every_quota_checked_operation_documents_its_422(api_alice: APIClient) -> None:
    schema = api_alice.get("/api/schema/", {"format": "json"}).json()
    for path, method in sorted(QUOTA_OPERATIONS):
        response = schema["paths"][path][method]["responses"]["422"]
        assert "quota_exceeded" in response["description"], (path, method)
        assert QUOTA_COMPONENT in str(response["content"]), (path, method)
    quota = schema["components"]["schemas"][QUOTA_COMPONENT]
    assert set(quota["required"]) == {"code", "detail", "quota", "limit", "used", "requested"}


@pytest.mark.django_db
def test_a_push_past_a_quota_answers_the_documented_shape(
    api_alice: APIClient, settings: object
) -> None:
    settings.QUOTA_ENTRIES = 0  # type: ignore[attr-defined]
    body = api_alice.post("/api/sync/backup", payload("entry-1", "text"), format="json").json()
    assert set(body) == {"code", "detail", "quota", "limit", "used", "requested"}

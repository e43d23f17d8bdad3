"""Ids in paths are checked by the same rule as ids in bodies; any other segment is a 404."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import UUIDConverter
from rest_framework.test import APIClient

from journal_sync.serializers.requests import EntryPushSerializer
from reflective.errors import Messages
from reflective.lib.converters import IdConverter

HOSTILE_IDS = ["a%00b", "%00", "x" * 65, "a.b", "a%0A", "%C3%A9", "a%20b"]
ENTRY_PATHS = ["/api/sync/backup/{id}", "/api/sync/backups/{id}/revisions"]


def _converters(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, object]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _converters(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            for name, converter in getattr(pattern.pattern, "converters", {}).items():
                yield f"{route} {name}", converter


def test_every_api_path_parameter_has_an_id_converter() -> None:
    found = {
        route: converter
        for route, converter in _converters(get_resolver().url_patterns)
        if route.startswith("api/")
    }
    assert found
    for route, converter in found.items():
        assert isinstance(converter, IdConverter | UUIDConverter), route


@pytest.mark.parametrize("path", ENTRY_PATHS)
@pytest.mark.parametrize("entry_id", HOSTILE_IDS)
def test_an_entry_id_no_body_could_carry_is_a_json_404(
    api_alice: APIClient, path: str, entry_id: str
) -> None:
    method = api_alice.delete if path.startswith("/api/sync/backup/") else api_alice.get
    response = method(path.format(id=entry_id))
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": Messages.NOT_FOUND}


@pytest.mark.parametrize("device_id", ["a%00b", "x" * 65, "a%20b", "a%0A"])
def test_a_device_id_no_body_could_carry_is_a_json_404(
    api_alice: APIClient, device_id: str
) -> None:
    response = api_alice.delete(f"/api/users/me/devices/{device_id}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": Messages.NOT_FOUND}


@pytest.mark.parametrize("conflict_id", ["a%00b", "not-a-uuid", "1234"])
def test_a_conflict_id_that_is_not_a_uuid_is_a_json_404(
    api_alice: APIClient, conflict_id: str
) -> None:
    response = api_alice.post(f"/api/sync/conflicts/{conflict_id}/resolve", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("entry_id", ["a\n", "a" * 64 + "\n", "content", "a b", "é"])
def test_the_body_refuses_what_the_path_refuses(entry_id: str) -> None:
    serializer = EntryPushSerializer(data={"id": entry_id})
    serializer.is_valid()
    assert "id" in serializer.errors


def test_the_schema_documents_the_id_rule(anon: APIClient, db: None) -> None:
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/sync/backup/{entry_id}"]["delete"]["parameters"]
    entry_id = next(param for param in parameters if param["name"] == "entry_id")
    assert entry_id["schema"]["pattern"] == "^[A-Za-z0-9_-]{1,64}$"

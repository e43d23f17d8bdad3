"""The OpenAPI schema describes what the endpoints actually return."""

import uuid
from typing import Any

from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.models import EntryConflict
from journal_sync.selectors.conflicts import remote_versions
from journal_sync.serializers import responses as shapes
from journal_sync.serializers import schemas
from journal_sync.services.push import PushResult, PushStatus
from journal_sync.tests.conftest import write


def _keys(serializer: serializers.Serializer[Any]) -> set[str]:
    return set(serializer.fields)


def test_feed_entries_have_the_documented_fields(laptop: APIClient, alice: User) -> None:
    write(alice, "entry-1", "text")
    item = laptop.get("/api/sync/backups").json()["backups"][0]
    assert set(item) == _keys(schemas.FeedEntryOutSerializer())
    page = laptop.get("/api/sync/backups").json()
    assert set(page) == _keys(schemas.FeedPageOutSerializer())


def test_conflicts_have_the_documented_fields(alice: User) -> None:
    write(alice, "entry-1", "first", device="laptop")
    write(alice, "entry-1", "second", device="laptop", base=1)
    write(alice, "entry-1", "stale", device="phone", base=1)
    conflict = EntryConflict.objects.select_related("entry").get()
    body = shapes.conflict_json(conflict, remote_versions([conflict]))
    assert set(body) == _keys(schemas.ConflictOutSerializer())
    documented = _keys(schemas.ConflictVersionOutSerializer())
    assert set(body["local_version"]) <= documented
    assert set(body["remote_version"]) <= documented


def test_push_results_have_the_documented_fields() -> None:
    result = PushResult("entry-1", PushStatus.CONFLICT, 2, 5, uuid.uuid4(), "code", "why")
    assert set(shapes.push_result_json(result)) <= _keys(schemas.PushResultOutSerializer())


def test_a_resurrection_result_has_the_documented_fields() -> None:
    result = PushResult("entry-1", PushStatus.STORED, 3, 7, resurrected=True)
    body = shapes.push_result_json(result)
    assert body["resurrected"] is True
    assert set(body) <= _keys(schemas.PushResultOutSerializer())


def test_the_schema_lists_every_sync_path(laptop: APIClient) -> None:
    response = laptop.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/sync/entries",
        "/api/sync/entries/{entry_id}",
        "/api/sync/entries/{entry_id}/revisions",
        "/api/sync/content",
        "/api/sync/backup",
        "/api/sync/batch",
        "/api/sync/backups",
        "/api/sync/backup/content",
        "/api/sync/backup/{entry_id}",
        "/api/sync/backups/{entry_id}/revisions",
        "/api/sync/conflicts",
        "/api/sync/conflicts/{conflict_id}/resolve",
        "/api/sync/state",
    ]:
        assert path in paths, path

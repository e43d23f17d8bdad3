"""The legacy ``sync/backup(s)`` paths answer exactly like the canonical ``sync/entries`` ones.

Clients released before the rename still call the old paths, so each alias must keep the
same status and body. Two users with the same history, one on each set of paths, must get
the same answers, step by step (ids and times the server makes up aside).
"""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tiers import PrivacyTier
from conftest import client_for
from journal_sync.tests.conftest import payload

CANONICAL = {
    "push": "/api/sync/entries",
    "pull": "/api/sync/entries",
    "item": "/api/sync/entries/{id}",
    "revisions": "/api/sync/entries/{id}/revisions",
    "content": "/api/sync/content",
}
LEGACY = {
    "push": "/api/sync/backup",
    "pull": "/api/sync/backups",
    "item": "/api/sync/backup/{id}",
    "revisions": "/api/sync/backups/{id}/revisions",
    "content": "/api/sync/backup/content",
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The server's clock has microseconds; the times these tests send have none.
SERVER_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")
# The same bodies for both users: the ciphertext (random IVs) must match byte for byte.
FIRST = payload("entry-1", "first words", device="laptop")
SECOND = payload("entry-1", "second words", device="laptop", base=1)
STALE = payload("entry-1", "stale words", device="phone", base=1)


def _answer(response: Any) -> tuple[int, str]:
    """Status and body, with the ids and times the server makes up masked."""
    text = json.dumps(response.json(), sort_keys=True)
    return response.status_code, SERVER_TIME.sub("<time>", UUID.sub("<uuid>", text))


def _history(client: APIClient, paths: dict[str, str]) -> list[tuple[int, str]]:
    """Every kind of answer each path gives: success, conflict, bad input, missing ids."""
    item = paths["item"].format(id="entry-1")
    missing = paths["item"].format(id="never-existed")
    steps: list[Callable[[], Any]] = [
        lambda: client.post(paths["push"], FIRST, format="json"),
        lambda: client.post(paths["push"], FIRST, format="json"),
        lambda: client.post(paths["push"], SECOND, format="json"),
        lambda: client.post(paths["push"], STALE, format="json"),
        lambda: client.post(paths["push"], {"id": "no spaces allowed"}, format="json"),
        lambda: client.get(paths["pull"]),
        lambda: client.get(paths["pull"], {"limit": "1", "device_id": "laptop"}),
        lambda: client.get(paths["pull"], {"cursor": "not-a-cursor"}),
        lambda: client.get(paths["revisions"].format(id="entry-1")),
        lambda: client.get(paths["revisions"].format(id="never-existed")),
        lambda: client.delete(f"{item}?base_revision=1&device_id=phone"),
        lambda: client.delete(f"{item}?base_revision=-1"),
        lambda: client.delete(f"{item}?device_id=laptop"),
        lambda: client.delete(missing),
        lambda: client.get(paths["pull"]),
        lambda: client.delete(paths["content"]),
        lambda: client.get(paths["revisions"].format(id="entry-1")),
    ]
    return [_answer(step()) for step in steps]


@pytest.mark.django_db
def test_each_legacy_path_answers_like_its_canonical_path(alice: User, bob: User) -> None:
    canonical = _history(client_for(alice), CANONICAL)
    legacy = _history(client_for(bob), LEGACY)

    assert [status for status, _ in canonical] == [
        201, 201, 201, 409, 400, 200, 200, 400, 200, 404, 409, 400, 200, 404, 200, 200, 404,
    ]  # fmt: skip
    for step, (expected, got) in enumerate(zip(canonical, legacy, strict=True)):
        assert got == expected, f"step {step}"


@pytest.mark.parametrize("tier", [PrivacyTier.LOCAL_ONLY, PrivacyTier.ANALYTICS_SYNC])
@pytest.mark.parametrize("name", ["push", "pull", "item", "revisions", "content"])
def test_each_legacy_path_refuses_lower_tiers_like_its_canonical_path(
    make_user: Callable[..., User], tier: str, name: str
) -> None:
    client = client_for(make_user("dana@example.com", tier))
    method = {"push": "post", "pull": "get", "revisions": "get"}.get(name, "delete")

    def call(paths: dict[str, str]) -> tuple[int, str]:
        path = paths[name].format(id="entry-1")
        return _answer(getattr(client, method)(path, FIRST if method == "post" else None))

    assert call(LEGACY) == call(CANONICAL)
    assert call(CANONICAL)[0] == (200 if name == "content" else 403)


@pytest.mark.django_db
def test_the_schema_marks_the_legacy_paths_deprecated(anon: APIClient) -> None:
    paths = anon.get("/api/schema/", {"format": "json"}).json()["paths"]

    for name in LEGACY:
        legacy, canonical = _templated(LEGACY[name]), _templated(CANONICAL[name])
        for method in set(paths[legacy]) & {"get", "post", "delete"}:
            operation = paths[legacy][method]
            assert operation["deprecated"] is True, (method, legacy)
            assert f"alias of `{method.upper()} {canonical}`" in operation["description"]
            assert not paths[canonical][method].get("deprecated")
            assert operation["responses"] == paths[canonical][method]["responses"]


def _templated(path: str) -> str:
    return path.replace("{id}", "{entry_id}")

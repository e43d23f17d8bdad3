"""Every API route that names an object by id answers 404 for another user's object.

The routes come from the URL conf, so a new object endpoint without a row here fails
``test_every_object_route_is_covered``. Each case creates alice's object through the API,
lets bob address it, and checks bob gets the same 404 body as for an id that never
existed, while alice's object is untouched.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from journal_sync.tests.conftest import payload, push
from tags.tests.conftest import name_payload

MISSING = "never-existed"


@dataclass(frozen=True)
class ObjectRoute:
    route: str
    method: str
    path: str  # with {id}
    make: Callable[[APIClient], str]  # creates alice's object, returns its id
    body: dict[str, Any] | None = None


def _entry(client: APIClient) -> str:
    assert push(client, payload("alice-entry", "alice's words")).status_code == 201
    return "alice-entry"


def _conflict(client: APIClient) -> str:
    push(client, payload("alice-entry", "first", device="laptop"))
    push(client, payload("alice-entry", "second", device="laptop", base=1))
    response = push(client, payload("alice-entry", "stale", device="phone", base=1))
    assert response.status_code == 409
    return str(response.json()["conflict_id"])


def _tag(client: APIClient) -> str:
    response = client.post("/api/tags", name_payload("private"), format="json")
    assert response.status_code == 201
    return str(response.json()["id"])


def _device(client: APIClient) -> str:
    assert client.get("/api/sync/backups", {"device_id": "alice-phone"}).status_code == 200
    return "alice-phone"


def _session(client: APIClient) -> str:
    sessions = client.get("/api/users/me/sessions").json()["sessions"]
    return str(sessions[0]["id"])


ROUTES = [
    ObjectRoute("api/sync/entries/<entry_id:entry_id>", "delete", "/api/sync/entries/{id}", _entry),
    ObjectRoute(
        "api/sync/entries/<entry_id:entry_id>/revisions",
        "get",
        "/api/sync/entries/{id}/revisions",
        _entry,
    ),
    ObjectRoute("api/sync/backup/<entry_id:entry_id>", "delete", "/api/sync/backup/{id}", _entry),
    ObjectRoute(
        "api/sync/backups/<entry_id:entry_id>/revisions",
        "get",
        "/api/sync/backups/{id}/revisions",
        _entry,
    ),
    ObjectRoute(
        "api/sync/conflicts/<uuid:conflict_id>/resolve",
        "post",
        "/api/sync/conflicts/{id}/resolve",
        _conflict,
        {"chosen_version": "local"},
    ),
    ObjectRoute("api/tags/<uuid:tag_id>", "patch", "/api/tags/{id}", _tag, {"color": "#000000"}),
    ObjectRoute("api/tags/<uuid:tag_id>", "delete", "/api/tags/{id}", _tag),
    ObjectRoute("api/tags/<uuid:tag_id>/touch", "post", "/api/tags/{id}/touch", _tag),
    ObjectRoute(
        "api/users/me/devices/<device_id:device_id>",
        "delete",
        "/api/users/me/devices/{id}",
        _device,
    ),
    ObjectRoute(
        "api/users/me/sessions/<uuid:session_id>",
        "delete",
        "/api/users/me/sessions/{id}",
        _session,
    ),
]


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_every_object_route_is_covered() -> None:
    with_ids = {
        route
        for route in _routes(get_resolver().url_patterns)
        if route.startswith("api/") and "<" in route
    }
    assert with_ids == {case.route for case in ROUTES}


def _call(client: APIClient, case: ObjectRoute, object_id: str) -> Any:
    path = case.path.format(id=object_id)
    return getattr(client, case.method)(path, case.body, format="json")


@pytest.mark.parametrize("case", ROUTES, ids=lambda case: f"{case.method} {case.path}")
def test_another_users_object_is_not_found(
    api_alice: APIClient, api_bob: APIClient, case: ObjectRoute
) -> None:
    object_id = case.make(api_alice)
    missing = str(uuid.uuid4()) if "uuid" in case.route else MISSING
    stranger = _call(api_bob, case, object_id)
    assert stranger.status_code == 404
    assert stranger.json() == _call(api_bob, case, missing).json()
    assert _call(api_alice, case, object_id).status_code < 400

"""One JSON nesting bound, checked before any decoder recurses: 400, never a 500."""

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from reflective.errors import Messages
from reflective.lib.json_depth import json_depth

DEPTH_LIMIT = 32  # JSON_MAX_DEPTH default
HOSTILE_DEPTH = 100_000


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "[]" + "}" * (depth - 1)


def json_body_operations() -> list[tuple[str, str]]:
    """Every operation of the API that takes a JSON body, as (method, path)."""
    paths: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return sorted(
        (method.upper(), path)
        for path, item in paths.items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    )


def concrete(path: str) -> str:
    """The path with a well-formed id in each parameter: the body is refused before lookup."""
    for name in ("tag_id", "conflict_id"):
        path = path.replace("{" + name + "}", "6f1c1a52-8a4e-4d38-9b2a-0d7f5c3e9a11")
    return path.replace("{entry_id}", "entry-1").replace("{device_id}", "laptop")


def test_the_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth('{"a": [1, {"b": "[[[{{{"}], "c": "\\"[["}') == 3
    assert json_depth(nested(DEPTH_LIMIT)) == DEPTH_LIMIT
    assert json_depth('["unterminated [[[[') == 1
    assert json_depth("") == 0


def test_every_json_endpoint_is_in_the_list() -> None:
    operations = json_body_operations()
    for expected in [
        ("POST", "/api/auth/token"),
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/token/refresh"),
        ("POST", "/api/encryption/metrics"),
        ("PUT", "/api/users/me/preferences"),
        ("POST", "/api/sync/batch"),
    ]:
        assert expected in operations


@pytest.mark.parametrize(("method", "path"), json_body_operations())
def test_a_deeply_nested_body_is_a_400_on_every_json_endpoint(
    api_alice: APIClient, method: str, path: str
) -> None:
    body = "[" * HOSTILE_DEPTH + "]" * HOSTILE_DEPTH
    response = api_alice.generic(method, concrete(path), body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json() == {
        "code": "json_too_deep",
        "detail": Messages.JSON_TOO_DEEP.format(limit=DEPTH_LIMIT),
        "limit": DEPTH_LIMIT,
    }


@pytest.mark.parametrize("path", ["/api/auth/token", "/api/auth/register", "/api/auth/logout"])
def test_unauthenticated_endpoints_refuse_deep_json_too(anon: APIClient, path: str) -> None:
    body = "{" + '"a":{' * HOSTILE_DEPTH
    response = anon.generic("POST", path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"


def test_nesting_at_the_limit_is_parsed(api_alice: APIClient) -> None:
    theme = nested(DEPTH_LIMIT - 1)
    body = '{"theme_preferences": ' + theme + "}"
    response = api_alice.generic(
        "PUT", "/api/users/me/preferences", body, content_type="application/json"
    )
    assert response.status_code == 200, response.json()


def test_one_level_over_the_limit_is_refused(api_alice: APIClient) -> None:
    body = '{"theme_preferences": ' + nested(DEPTH_LIMIT) + "}"
    response = api_alice.generic(
        "PUT", "/api/users/me/preferences", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"


def test_brackets_inside_strings_do_not_count(api_alice: APIClient) -> None:
    response = api_alice.patch(
        "/api/users/me", {"display_name": "[" * 45 + "{" * 45}, format="json"
    )
    assert response.status_code == 200

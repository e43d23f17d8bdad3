"""Schemathesis drives every operation in /api/schema/ with generated input.

Each example logs in a fresh full_sync user, so destructive operations (account delete,
password change, tier revoke) cannot spoil the next example. Checks: no 5xx, every status
is documented, and every documented body matches its schema.

A second run sends what the schema does not describe to the same operations: path and
query parameters of any text (NUL bytes, slashes, the reserved id), any Content-Type and
charset, bodies of any bytes or nesting, and hostile Authorization, Accept, Host and
X-Forwarded-For headers. Every answer must be below 500, and every error the one shape.
"""

import json
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from accounts.tiers import PrivacyTier
from accounts.tokens import session_start
from conftest import PASSWORD
from reflective.wsgi import application
from tests.wsgi import WsgiAnswer, wsgi_call

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Bounded so the whole run stays near a minute in CI; the local_only pass only has to show
# that every gated operation refuses cleanly.
FULL_SYNC_EXAMPLES = 12
LOCAL_ONLY_EXAMPLES = 3


def _bearer_for_new_user(tier: str) -> dict[str, str]:
    user = User.objects.create_user(f"{uuid.uuid4().hex}@example.com", PASSWORD, privacy_tier=tier)
    return {"Authorization": f"Bearer {session_start(user=user)['access_token']}"}


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Iterator[None]:
    """Like Django's test client: the WSGI handler must not close the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _fuzz_settings(examples: int) -> settings:
    # CI replays the same examples on every run, so a red build always means a change
    # broke something; elsewhere each run draws new ones and keeps searching.
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=os.environ.get("CI") == "true",
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.slow
@schema.parametrize()
@_fuzz_settings(FULL_SYNC_EXAMPLES)
def test_full_sync_user_gets_documented_answers(
    case: schemathesis.Case[Any], db: None, wsgi_keeps_the_test_connection: None
) -> None:
    case.call_and_validate(headers=_bearer_for_new_user(PrivacyTier.FULL_SYNC), checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@_fuzz_settings(LOCAL_ONLY_EXAMPLES)
def test_local_only_user_gets_documented_answers(
    case: schemathesis.Case[Any], db: None, wsgi_keeps_the_test_connection: None
) -> None:
    case.call_and_validate(headers=_bearer_for_new_user(PrivacyTier.LOCAL_ONLY), checks=CHECKS)


# --- Beyond the bodies the schema describes: hostile paths, headers and content types ----
HOSTILE_EXAMPLES = 150
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
BODIES = st.one_of(
    JSON_VALUES.map(json.dumps),
    st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
    st.text(max_size=200),
)
MEDIA_TYPES = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain",
        "application/xml",
        "",
    ]
)
CHARSETS = st.sampled_from(["utf-8", "utf-16", "latin-1", "hex", "bz2_codec", "rot13", "x"])
CONTENT_TYPES = st.one_of(
    MEDIA_TYPES,
    st.builds(lambda media, charset: f"{media}; charset={charset}", MEDIA_TYPES, CHARSETS),
    LATIN1_TEXT := st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60),
)
PATH_VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["\x00", "a\x00b", "content", "..", "a\n", "x" * 65]),
    st.uuids().map(str),
)
AUTHORIZATIONS = st.one_of(
    st.just("valid"),
    st.sampled_from(["", "Bearer", "Bearer not.a.jwt", "Basic YTpi", "Bearer \x00"]),
    LATIN1_TEXT,
)
OPERATIONS = sorted(
    (method, path, tuple(param["name"] for param in item[method].get("parameters", [])))
    for path, item in schema.raw_schema["paths"].items()
    for method in item
    if method in ("get", "put", "patch", "post", "delete")
)


@st.composite
def hostile_requests(draw: st.DrawFn) -> dict[str, Any]:
    method, template, names = draw(st.sampled_from(OPERATIONS))
    path = re.sub(r"\{[^}]+\}", lambda _: quote(draw(PATH_VALUES), safe=""), template)
    query = draw(st.dictionaries(st.sampled_from(names or ("q",)), PATH_VALUES, max_size=3))
    return {
        "method": method,
        "path": f"{path}?{urlencode(query)}" if query else path,
        "body": draw(BODIES).encode("utf-8", "surrogatepass"),
        "content_type": draw(CONTENT_TYPES),
        "authorization": draw(AUTHORIZATIONS),
        "headers": {
            "HTTP_ACCEPT": draw(st.sampled_from(["application/json", "*/*", "text/html"])),
            "HTTP_X_FORWARDED_FOR": draw(LATIN1_TEXT),
            "HTTP_HOST": draw(st.sampled_from(["localhost", "127.0.0.1", "evil.example"])),
        },
    }


def _send(request: dict[str, Any], bearer: str) -> WsgiAnswer:
    """Through the WSGI application gunicorn runs, not the test client: see tests.wsgi."""
    headers = dict(request["headers"])
    authorization = request["authorization"]
    headers["HTTP_AUTHORIZATION"] = bearer if authorization == "valid" else authorization
    return wsgi_call(
        request["method"].upper(),
        request["path"],
        body=request["body"],
        content_type=request["content_type"],
        headers=headers,
    )


@pytest.mark.slow
@given(request=hostile_requests())
@_fuzz_settings(HOSTILE_EXAMPLES)
def test_hostile_paths_headers_and_content_types_get_a_json_4xx(
    request: dict[str, Any], db: None, wsgi_keeps_the_test_connection: None
) -> None:
    bearer = _bearer_for_new_user(PrivacyTier.FULL_SYNC)["Authorization"]
    response = _send(request, bearer)
    assert response.status < 500, (request, response.body[:300])
    if response.status >= 400:
        body = response.json()
        assert isinstance(body.get("code"), str)
        assert isinstance(body.get("detail"), str)

"""CORS: configured browser origins may call the API; any other origin gets no grant."""

from pathlib import Path

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from reflective.tests.production import production_get

APP_ORIGIN = "https://app.reflective.example"
EVIL_ORIGIN = "https://evil.example"


def _preflight(client: APIClient, origin: str) -> object:
    return client.options(
        "/api/sync/backup",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


@override_settings(CORS_ALLOWED_ORIGINS=[APP_ORIGIN])
def test_a_configured_origin_is_granted(anon: APIClient) -> None:
    response = _preflight(anon, APP_ORIGIN)
    assert response["Access-Control-Allow-Origin"] == APP_ORIGIN  # type: ignore[index]
    allowed = response["Access-Control-Allow-Headers"]  # type: ignore[index]
    assert "authorization" in allowed
    assert anon.get("/api/health", HTTP_ORIGIN=APP_ORIGIN)["Access-Control-Allow-Origin"] == (
        APP_ORIGIN
    )


@override_settings(CORS_ALLOWED_ORIGINS=[APP_ORIGIN])
def test_an_unknown_origin_gets_no_grant(anon: APIClient) -> None:
    for origin in (
        EVIL_ORIGIN,
        "null",
        APP_ORIGIN + ".evil.example",
        "http://app.reflective.example",
    ):
        assert "Access-Control-Allow-Origin" not in _preflight(anon, origin)  # type: ignore[operator]
        response = anon.get("/api/health", HTTP_ORIGIN=origin)
        assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[APP_ORIGIN])
def test_credentials_are_never_allowed_cross_origin(anon: APIClient) -> None:
    response = _preflight(anon, APP_ORIGIN)
    assert "Access-Control-Allow-Credentials" not in response  # type: ignore[operator]


@pytest.mark.slow
def test_production_grants_no_origin_unless_configured(tmp_path: Path) -> None:
    refused = production_get("/api/health", tmp_path, origin="http://localhost:5173")
    assert "access-control-allow-origin" not in refused["headers"]
    granted = production_get(
        "/api/health", tmp_path, origin=APP_ORIGIN, CORS_ALLOWED_ORIGINS=APP_ORIGIN
    )
    assert granted["headers"]["access-control-allow-origin"] == APP_ORIGIN

import pytest
from django.db import OperationalError, connection
from django.test import override_settings
from rest_framework.test import APIClient

from reflective.errors import Messages


def test_malformed_json_is_a_400_with_the_error_shape(api_alice: APIClient) -> None:
    response = api_alice.generic(
        "PATCH", "/api/users/me", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"code": "malformed_body", "detail": Messages.MALFORMED_BODY}


def test_wrong_content_type_is_a_415(api_alice: APIClient) -> None:
    response = api_alice.generic("PATCH", "/api/users/me", "hello", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_wrong_json_type_is_a_400_with_fields(api_alice: APIClient) -> None:
    response = api_alice.put("/api/users/me/preferences", ["a", "list"], format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@override_settings(REQUEST_BODY_MAX_BYTES=1024)
def test_an_oversized_body_is_a_413_before_parsing(api_alice: APIClient) -> None:
    body = '{"display_name": "' + "x" * 2000 + '"}'
    response = api_alice.generic("PATCH", "/api/users/me", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_a_chunked_body_is_a_411_instead_of_being_read_as_empty(api_alice: APIClient) -> None:
    response = api_alice.generic(
        "PATCH",
        "/api/users/me",
        '{"display_name": "Alice"}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert response.json() == {"code": "length_required", "detail": Messages.LENGTH_REQUIRED}


def test_a_wrong_method_is_a_json_405(api_alice: APIClient) -> None:
    response = api_alice.post("/api/users/me", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_garbage_bearer_token_is_a_401(anon: APIClient, db: None) -> None:
    anon.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = anon.get("/api/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unexpected_errors_are_a_generic_500(
    api_alice: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounts import selectors

    def explode(**kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(selectors, "user_stats", explode)
    response = api_alice.get("/api/users/me/stats")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "detail": Messages.SERVER_ERROR}
    assert b"secret internal detail" not in response.content


@pytest.mark.django_db(transaction=True)
def test_readiness_reports_an_unreachable_database_as_503(
    anon: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor == "postgresql":
        # A real refused connection: nothing listens on port 1.
        monkeypatch.setitem(connection.settings_dict, "PORT", "1")
        connection.close()
    else:
        # The SQLite test database lives in memory: closing it would lose it for every later
        # test, and Django ignores the close anyway. Fail the way sqlite3 does instead.
        def unreachable() -> None:
            raise OperationalError("unable to open database file")

        monkeypatch.setattr(connection, "ensure_connection", unreachable)
    try:
        response = anon.get("/api/health/ready")
    finally:
        connection.close()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": False, "tenseal": True}

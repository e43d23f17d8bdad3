"""Requests Django refuses before any view answer in the one error shape too."""

from django.test import Client

from reflective.errors import Messages


def test_a_host_not_allowed_is_a_json_400(db: None) -> None:
    response = Client(raise_request_exception=False).get("/api/health", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "detail": Messages.BAD_REQUEST}


def test_an_unknown_path_is_a_json_404(db: None) -> None:
    response = Client().get("/api/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": Messages.NOT_FOUND}

"""Database failures reach clients as 503 in the one error shape, an outage and a timeout apart."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, transaction
from django.test import Client

from reflective.errors import Messages, api_exception_handler


def _sleep_past_a_statement_timeout() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(5)")


def _rendered(error: Exception) -> tuple[int, dict[str, str], str]:
    response = api_exception_handler(error, {})
    return response.status_code, dict(response.data), response.headers["Retry-After"]


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_statement_cancelled_by_the_timeout_is_a_503_database_timeout() -> None:
    with pytest.raises(OperationalError) as cancelled:
        _sleep_past_a_statement_timeout()
    assert _rendered(cancelled.value) == (
        503,
        {"code": "database_timeout", "detail": Messages.DATABASE_TIMEOUT},
        "5",
    )


def test_any_other_operational_error_is_a_503_database_unavailable() -> None:
    assert _rendered(OperationalError("connection refused")) == (
        503,
        {"code": "database_unavailable", "detail": Messages.DATABASE_UNAVAILABLE},
        "5",
    )


@contextmanager
def _database_unreachable() -> Iterator[None]:
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(original)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_admin_page_during_a_database_outage_is_a_503_json() -> None:
    with _database_unreachable():
        response = Client(raise_request_exception=False).post(
            "/admin/login/", {"username": "admin@example.com", "password": "irrelevant"}
        )
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"

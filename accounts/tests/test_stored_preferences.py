"""Preferences hold small JSON: nesting is bounded on write, and a deep stored row is harmless."""

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User

DEPTH_LIMIT = 32  # JSON_MAX_DEPTH default
# Stored before the bound existed: deep enough that loading it from a page's stack overflows.
STORED_DEPTH = 980


def nested_text(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def store_raw_theme(user: User, text: str) -> None:
    key = User._meta.pk.get_db_prep_value(user.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {User._meta.db_table} SET theme_preferences = %s WHERE id = %s", [text, key]
        )


@pytest.fixture
def staff_client(db: None) -> Client:
    staff = User.objects.create_superuser("admin@example.com", "admin-password-123")
    client = Client()
    client.force_login(staff)
    return client


def test_deep_theme_json_in_a_form_field_is_a_400(api_alice: APIClient) -> None:
    response = api_alice.generic(
        "PUT",
        "/api/users/me/preferences",
        "theme_preferences=" + "[" * 100_000 + "]" * 100_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["theme_preferences"]


def test_theme_json_nested_over_the_limit_is_not_stored(api_alice: APIClient, alice: User) -> None:
    form_body = "theme_preferences=" + nested_text(DEPTH_LIMIT + 1)
    response = api_alice.generic(
        "PUT",
        "/api/users/me/preferences",
        form_body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.theme_preferences == {}


def test_a_small_form_theme_is_stored(api_alice: APIClient, alice: User) -> None:
    response = api_alice.generic(
        "PUT",
        "/api/users/me/preferences",
        'theme_preferences={"accent": "teal"}',
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.json()["theme_preferences"] == {"accent": "teal"}


def test_a_deep_stored_theme_reads_as_empty(api_alice: APIClient, alice: User) -> None:
    store_raw_theme(alice, nested_text(STORED_DEPTH))
    assert User.objects.get(pk=alice.pk).theme_preferences == {}
    response = api_alice.get("/api/users/me/preferences")
    assert response.status_code == 200
    assert response.json()["theme_preferences"] == {}


@pytest.mark.parametrize(
    "page",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/{pk}/change/",
        "/admin/accounts/authsession/",
        "/admin/accounts/device/",
    ],
)
def test_admin_pages_survive_a_deep_stored_theme(
    staff_client: Client, alice: User, page: str
) -> None:
    store_raw_theme(alice, nested_text(STORED_DEPTH))
    assert staff_client.get(page.format(pk=alice.pk)).status_code == 200

from typing import Any
from urllib.parse import urlencode

from rest_framework.test import APIClient

from accounts.credentials import AccountMessages
from accounts.models import User
from conftest import PASSWORD

NEW_PASSWORD = "an entirely different passphrase 7"


def login(client: APIClient, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return client.post("/api/auth/token", {"email": email, "password": password}, **kwargs)


def test_register_creates_a_local_only_account(anon: APIClient, db: None) -> None:
    response = anon.post(
        "/api/auth/register",
        {"email": "New@Example.COM", "password": PASSWORD, "display_name": "New"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["privacy_tier"] == "local_only"
    assert "password" not in body


def test_register_refuses_an_email_that_differs_only_in_case(anon: APIClient, alice: User) -> None:
    response = anon.post(
        "/api/auth/register", {"email": "ALICE@example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"


def test_register_refuses_a_weak_password(anon: APIClient, db: None) -> None:
    response = anon.post(
        "/api/auth/register", {"email": "w@example.com", "password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert "password" in response.json()["fields"]


def test_login_with_json_returns_the_token_pair(anon: APIClient, alice: User) -> None:
    response = anon.post(
        "/api/auth/token", {"email": "Alice@Example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60


def test_login_with_an_oauth2_password_form(anon: APIClient, alice: User) -> None:
    form = urlencode(
        {"username": "alice@example.com", "password": PASSWORD, "grant_type": "password"}
    )
    response = anon.post("/api/auth/token", form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def test_unknown_email_and_wrong_password_look_the_same(anon: APIClient, alice: User) -> None:
    wrong = login(anon, "alice@example.com", "not it at all", format="json")
    unknown = login(anon, "nobody@example.com", format="json")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["detail"] == AccountMessages.INVALID_CREDENTIALS


def _tokens(client: APIClient) -> dict[str, str]:
    response = login(client, "alice@example.com", format="json")
    assert response.status_code == 200
    tokens: dict[str, str] = response.json()
    return tokens


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_refresh_rotates_and_the_old_refresh_token_is_dead(anon: APIClient, alice: User) -> None:
    tokens = _tokens(anon)
    first = anon.post("/api/auth/token/refresh", {"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    reuse = anon.post("/api/auth/token/refresh", {"refresh": tokens["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "invalid_refresh_token"


def test_logout_ends_the_session_for_refresh_and_access(anon: APIClient, alice: User) -> None:
    tokens = _tokens(anon)
    other_device = _tokens(anon)
    assert (
        anon.post("/api/auth/logout", {"refresh_token": tokens["refresh_token"]}).status_code == 204
    )
    assert _bearer(tokens["access_token"]).get("/api/users/me").status_code == 401
    refreshed = anon.post("/api/auth/token/refresh", {"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    assert _bearer(other_device["access_token"]).get("/api/users/me").status_code == 200


def test_password_change_revokes_every_session(anon: APIClient, alice: User) -> None:
    tokens = _tokens(anon)
    other_device = _tokens(anon)
    response = _bearer(tokens["access_token"]).post(
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    assert _bearer(other_device["access_token"]).get("/api/users/me").status_code == 401
    assert _bearer(tokens["access_token"]).get("/api/users/me").status_code == 401
    refreshed = anon.post(
        "/api/auth/token/refresh", {"refresh_token": other_device["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert _bearer(response.json()["access_token"]).get("/api/users/me").status_code == 200
    assert login(anon, "alice@example.com", NEW_PASSWORD, format="json").status_code == 200
    assert login(anon, "alice@example.com", format="json").status_code == 401


def test_password_change_needs_the_current_password(api_alice: APIClient) -> None:
    response = api_alice.post(
        "/api/auth/password",
        {"current_password": "wrong", "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_password"


def test_a_refresh_token_is_not_an_access_token(anon: APIClient, alice: User) -> None:
    tokens = _tokens(anon)
    assert _bearer(tokens["refresh_token"]).get("/api/users/me").status_code == 401


def test_guessing_one_accounts_password_is_throttled(anon: APIClient, alice: User) -> None:
    statuses = [login(anon, "alice@example.com", f"guess {n}").status_code for n in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    throttled = login(anon, "ALICE@example.com", "guess")
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


def test_logins_from_one_ip_are_throttled_across_accounts(anon: APIClient, db: None) -> None:
    statuses = [login(anon, f"user{n}@example.com").status_code for n in range(31)]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429


def test_registrations_from_one_ip_are_throttled(anon: APIClient, db: None) -> None:
    statuses = [
        anon.post(
            "/api/auth/register", {"email": f"r{n}@example.com", "password": PASSWORD}
        ).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [201] * 10
    assert statuses[10] == 429

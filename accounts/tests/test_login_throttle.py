"""Brute force is throttled per client IP (any accounts) and registration per IP."""

from rest_framework.test import APIClient

from accounts.models import User
from conftest import PASSWORD

LOGIN_IP_LIMIT = 30  # THROTTLE_LOGIN_IP default: 30/min
REGISTER_IP_LIMIT = 10  # THROTTLE_REGISTER_IP default: 10/hour


def _login(client: APIClient, email: str, password: str, ip: str = "203.0.113.7") -> int:
    body = {"email": email, "password": password}
    return int(client.post("/api/auth/token", body, REMOTE_ADDR=ip).status_code)


def test_spraying_many_accounts_from_one_ip_is_throttled(anon: APIClient, db: None) -> None:
    statuses = [_login(anon, f"user{n}@example.com", "guess") for n in range(LOGIN_IP_LIMIT + 1)]
    assert statuses[:LOGIN_IP_LIMIT] == [401] * LOGIN_IP_LIMIT
    assert statuses[LOGIN_IP_LIMIT] == 429


def test_a_throttled_login_is_refused_even_with_the_right_password(
    anon: APIClient, alice: User
) -> None:
    for n in range(LOGIN_IP_LIMIT):
        _login(anon, f"user{n}@example.com", "guess")
    response = anon.post(
        "/api/auth/token",
        {"email": "alice@example.com", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_another_ip_is_not_throttled_by_the_first(anon: APIClient, alice: User) -> None:
    for n in range(LOGIN_IP_LIMIT + 1):
        _login(anon, f"user{n}@example.com", "guess")
    assert _login(anon, "alice@example.com", PASSWORD, ip="198.51.100.9") == 200


def test_guessing_one_account_from_many_ips_is_throttled(anon: APIClient, alice: User) -> None:
    statuses = [_login(anon, "alice@example.com", "guess", ip=f"198.51.100.{n}") for n in range(11)]
    assert statuses[-1] == 429
    assert _login(anon, "alice@example.com", PASSWORD, ip="192.0.2.200") == 429


def test_mass_registration_from_one_ip_is_throttled(anon: APIClient, db: None) -> None:
    statuses = [
        anon.post(
            "/api/auth/register",
            {"email": f"new{n}@example.com", "password": PASSWORD},
            REMOTE_ADDR="203.0.113.50",
        ).status_code
        for n in range(REGISTER_IP_LIMIT + 1)
    ]
    assert statuses[:REGISTER_IP_LIMIT] == [201] * REGISTER_IP_LIMIT
    assert statuses[REGISTER_IP_LIMIT] == 429


def test_a_forged_forwarded_for_header_does_not_escape_the_ip_throttle(
    anon: APIClient, db: None
) -> None:
    statuses = [
        anon.post(
            "/api/auth/token",
            {"email": f"user{n}@example.com", "password": "guess"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(LOGIN_IP_LIMIT + 1)
    ]
    assert statuses[LOGIN_IP_LIMIT] == 429

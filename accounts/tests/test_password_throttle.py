"""Endpoints that confirm the password are throttled per login session and per account."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from conftest import PASSWORD, client_for, run_in_threads

SESSION_LIMIT = 5  # THROTTLE_PASSWORD_SESSION default: 5/min
ACCOUNT_LIMIT = 20  # THROTTLE_PASSWORD_ACCOUNT default: 20/hour
WRONG = "not the password at all"


def change_password(client: APIClient, current: str = WRONG) -> Any:
    body = {"current_password": current, "new_password": "an entirely different passphrase 7"}
    return client.post("/api/auth/password", body, format="json")


def delete_account(client: APIClient, password: str = WRONG) -> Any:
    return client.delete("/api/users/me", {"password": password}, format="json")


def change_email(client: APIClient, password: str = WRONG) -> Any:
    body = {"email": "new-alice@example.com", "current_password": password}
    return client.patch("/api/users/me", body, format="json")


ATTEMPTS: list[Callable[..., Any]] = [change_password, delete_account, change_email]


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda attempt: attempt.__name__)
def test_a_session_guessing_the_password_is_throttled(
    alice: User, attempt: Callable[..., Any]
) -> None:
    client = client_for(alice)
    statuses = [attempt(client).status_code for _ in range(SESSION_LIMIT)]
    assert statuses == [403] * SESSION_LIMIT

    refused = attempt(client, PASSWORD)

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0


def test_the_session_budget_is_shared_by_every_password_endpoint(alice: User) -> None:
    client = client_for(alice)
    for attempt in [change_password, delete_account, change_email, change_password, change_email]:
        assert attempt(client).status_code == 403
    assert delete_account(client).status_code == 429


def test_another_session_keeps_its_own_budget(alice: User) -> None:
    stolen = client_for(alice)
    for _ in range(SESSION_LIMIT + 1):
        change_password(stolen)
    assert change_password(client_for(alice), PASSWORD).status_code == 200


def test_the_account_budget_spans_its_sessions(alice: User) -> None:
    sessions = [client_for(alice) for _ in range(ACCOUNT_LIMIT // SESSION_LIMIT + 1)]
    statuses = [
        change_password(client).status_code for client in sessions for _ in range(SESSION_LIMIT)
    ]
    assert statuses[:ACCOUNT_LIMIT] == [403] * ACCOUNT_LIMIT
    assert set(statuses[ACCOUNT_LIMIT:]) == {429}


def test_accounts_do_not_share_a_budget(alice: User, bob: User) -> None:
    for _ in range(SESSION_LIMIT + 1):
        change_password(client_for(alice))
    assert change_password(client_for(bob)).status_code == 403


def test_profile_edits_without_a_password_are_not_throttled(api_alice: APIClient) -> None:
    for n in range(SESSION_LIMIT * 2):
        response = api_alice.patch("/api/users/me", {"display_name": f"A{n}"}, format="json")
        assert response.status_code == 200


@pytest.fixture
def slow_cache_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throttles write their counts after a network round trip's delay, as to Redis."""
    record = SimpleRateThrottle.throttle_success

    def delayed(throttle: SimpleRateThrottle) -> bool:
        time.sleep(0.05)
        return record(throttle)

    monkeypatch.setattr(SimpleRateThrottle, "throttle_success", delayed)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_are_counted_one_by_one(alice: User, slow_cache_writes: None) -> None:
    client = client_for(alice)
    statuses: list[int] = []

    errors = run_in_threads(
        [lambda: statuses.append(change_password(client).status_code) for _ in range(12)],
        together=True,
    )

    assert errors == []
    assert sorted(statuses) == [403] * SESSION_LIMIT + [429] * (12 - SESSION_LIMIT)

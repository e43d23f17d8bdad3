"""Refresh rotation is one locked step, and a replayed rotated token ends its session."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import AuthSession, User
from accounts.tokens import session_start
from conftest import run_in_threads

REFRESH = "/api/auth/token/refresh"
RACE_TRIALS = 5
RACERS = 4


def _refresh(token: str) -> Any:
    return APIClient().post(REFRESH, {"refresh_token": token}, format="json")


def _me_status(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return int(client.get("/api/users/me").status_code)


def test_a_replayed_rotated_token_revokes_its_whole_session(alice: User) -> None:
    first = session_start(user=alice)
    second = _refresh(first["refresh_token"]).json()

    replay = _refresh(first["refresh_token"])

    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_refresh_token"
    assert _refresh(second["refresh_token"]).status_code == 401
    assert _me_status(second["access_token"]) == 401
    assert AuthSession.objects.get().revoked_at is not None


def test_a_replay_leaves_the_accounts_other_sessions_alone(alice: User) -> None:
    phone = session_start(user=alice)
    laptop = session_start(user=alice)
    _refresh(phone["refresh_token"])

    assert _refresh(phone["refresh_token"]).status_code == 401

    assert _me_status(laptop["access_token"]) == 200
    assert _refresh(laptop["refresh_token"]).status_code == 200


def test_logout_with_a_rotated_token_still_ends_the_session(anon: APIClient, alice: User) -> None:
    first = session_start(user=alice)
    second = _refresh(first["refresh_token"]).json()

    response = anon.post("/api/auth/logout", {"refresh_token": first["refresh_token"]})

    assert response.status_code == 401
    assert _me_status(second["access_token"]) == 401


def test_each_rotated_token_refreshes_once(alice: User) -> None:
    token = session_start(user=alice)["refresh_token"]
    for _ in range(3):
        response = _refresh(token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]


def _race(token: str) -> list[Any]:
    """RACERS requests refreshing ``token`` at once, each on its own connection."""
    answers: list[Any] = []
    errors = run_in_threads(
        [lambda: answers.append(_refresh(token)) for _ in range(RACERS)], together=True
    )
    assert errors == []
    return answers


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_refreshes_with_one_token_never_fork_the_session(alice: User) -> None:
    for _ in range(RACE_TRIALS):
        answers = _race(session_start(user=alice)["refresh_token"])

        winners = [answer.json() for answer in answers if answer.status_code == 200]
        assert len(winners) == 1, [answer.status_code for answer in answers]
        # The losers replayed a rotated token, so the winner's session is over too.
        assert _refresh(winners[0]["refresh_token"]).status_code == 401
        assert _me_status(winners[0]["access_token"]) == 401

"""Login sessions a user can see and end."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuthSession, User
from accounts.throttles import SecurityAccountThrottle
from conftest import PASSWORD, client_for


def login(device_name: str | None = None, **headers: Any) -> dict[str, Any]:
    body = {"email": "alice@example.com", "password": PASSWORD}
    if device_name is not None:
        body["device_name"] = device_name
    response = APIClient().post("/api/auth/token", body, format="json", **headers)
    assert response.status_code == 200
    return dict(response.json())


def bearer(tokens: dict[str, Any]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return client


def test_sessions_are_listed_with_the_current_one_marked(alice: User) -> None:
    laptop = bearer(login("laptop"))
    login("phone")

    sessions = laptop.get("/api/users/me/sessions").json()["sessions"]

    assert sorted(s["device_name"] for s in sessions) == ["laptop", "phone"]
    assert [s["device_name"] for s in sessions if s["current"]] == ["laptop"]
    assert set(sessions[0]) == {"id", "device_name", "created_at", "last_used_at", "current"}


def test_the_device_name_defaults_to_the_user_agent(alice: User) -> None:
    client = bearer(login(HTTP_USER_AGENT="ReflectiveApp/2.1 (iOS)"))
    sessions = client.get("/api/users/me/sessions").json()["sessions"]
    assert sessions[0]["device_name"] == "ReflectiveApp/2.1 (iOS)"


def test_revoked_and_expired_sessions_are_not_listed(alice: User) -> None:
    client = bearer(login("laptop"))
    ended = login("old")
    APIClient().post("/api/auth/logout", {"refresh_token": ended["refresh_token"]}, format="json")
    stale = AuthSession.objects.create(user=alice, device_name="stale")
    AuthSession.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=15))

    names = [s["device_name"] for s in client.get("/api/users/me/sessions").json()["sessions"]]

    assert names == ["laptop"]


def test_revoking_a_session_ends_its_tokens(alice: User) -> None:
    laptop = bearer(login("laptop"))
    phone_tokens = login("phone")
    phone = bearer(phone_tokens)
    phone_id = next(
        s["id"] for s in laptop.get("/api/users/me/sessions").json()["sessions"] if not s["current"]
    )

    assert laptop.delete(f"/api/users/me/sessions/{phone_id}").status_code == 204

    assert phone.get("/api/users/me").status_code == 401
    refresh = APIClient().post(
        "/api/auth/token/refresh", {"refresh_token": phone_tokens["refresh_token"]}, format="json"
    )
    assert refresh.status_code == 401
    assert laptop.get("/api/users/me").status_code == 200
    assert laptop.delete(f"/api/users/me/sessions/{phone_id}").status_code == 404


def test_another_users_session_is_a_404(alice: User, bob: User) -> None:
    bobs = AuthSession.objects.create(user=bob)
    response = client_for(alice).delete(f"/api/users/me/sessions/{bobs.id}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert AuthSession.objects.get(pk=bobs.pk).revoked_at is None
    assert all(
        s["id"] != str(bobs.id)
        for s in client_for(alice).get("/api/users/me/sessions").json()["sessions"]
    )


def test_logout_all_keeps_only_the_current_session(alice: User, bob: User) -> None:
    current = bearer(login("laptop"))
    others = [bearer(login(name)) for name in ("phone", "tablet")]
    bobs = client_for(bob)

    response = current.post("/api/auth/logout-all")

    assert response.json() == {"revoked_sessions": 2}
    assert [other.get("/api/users/me").status_code for other in others] == [401, 401]
    assert current.get("/api/users/me").status_code == 200
    assert bobs.get("/api/users/me").status_code == 200


def test_session_endpoints_need_a_login(anon: APIClient) -> None:
    assert anon.get("/api/users/me/sessions").status_code == 401
    assert anon.post("/api/auth/logout-all").status_code == 401
    missing = "/api/users/me/sessions/00000000-0000-0000-0000-000000000000"
    assert anon.delete(missing).status_code == 401


def test_session_listing_is_throttled_per_account(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    rates = {**SecurityAccountThrottle.THROTTLE_RATES, "security_account": "2/min"}
    monkeypatch.setattr(SecurityAccountThrottle, "THROTTLE_RATES", rates)
    client = client_for(alice)
    statuses = [client.get("/api/users/me/sessions").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]

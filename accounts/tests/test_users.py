import json

import pytest
from rest_framework.test import APIClient

from accounts.credentials import AccountMessages
from accounts.models import User
from conftest import PASSWORD, client_for


def test_me_shows_the_profile(api_alice: APIClient) -> None:
    body = api_alice.get("/api/users/me").json()
    assert body["email"] == "alice@example.com"
    assert body["privacy_tier"] == "full_sync"
    assert body["created_at"].endswith("Z")


def test_each_token_sees_only_its_own_account(api_alice: APIClient, api_bob: APIClient) -> None:
    assert api_alice.get("/api/users/me").json()["email"] == "alice@example.com"
    assert api_bob.get("/api/users/me").json()["email"] == "bob@example.com"


@pytest.mark.parametrize(
    "path",
    [
        "/api/users/me",
        "/api/users/me/preferences",
        "/api/users/me/stats",
        "/api/users/me/privacy",
        "/api/users/me/privacy/history",
        "/api/users/me/devices",
        "/api/users/me/export",
    ],
)
def test_user_endpoints_need_a_token(anon: APIClient, db: None, path: str) -> None:
    response = anon.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_put_me_ignores_tier_and_password(api_alice: APIClient, alice: User) -> None:
    response = api_alice.put(
        "/api/users/me",
        {"display_name": "Al", "privacy_tier": "local_only", "password": "x"},
        format="json",
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.display_name == "Al"
    assert alice.privacy_tier == "full_sync"
    assert alice.check_password(PASSWORD)


def test_unknown_profile_fields_are_refused(api_alice: APIClient) -> None:
    response = api_alice.patch("/api/users/me", {"nickname": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"nickname": ["Unknown field."]}


def test_email_change_needs_the_current_password(api_alice: APIClient, alice: User) -> None:
    response = api_alice.patch("/api/users/me", {"email": "a2@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == AccountMessages.CURRENT_PASSWORD_REQUIRED
    wrong = api_alice.patch(
        "/api/users/me",
        {"email": "a2@example.com", "current_password": "nope"},
        format="json",
    )
    assert wrong.status_code == 403
    ok = api_alice.patch(
        "/api/users/me",
        {"email": "A2@example.com", "current_password": PASSWORD},
        format="json",
    )
    assert ok.status_code == 200
    # The new address becomes the login only once confirmed (accounts/tests/test_email_change.py).
    assert ok.json()["email"] == "alice@example.com"
    assert ok.json()["pending_email"] == "a2@example.com"


def test_email_change_to_a_taken_email_is_refused(api_alice: APIClient, bob: User) -> None:
    response = api_alice.patch(
        "/api/users/me",
        {"email": "BOB@example.com", "current_password": PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"


def test_delete_account_needs_the_password(api_alice: APIClient, alice: User) -> None:
    wrong = api_alice.delete("/api/users/me", {"password": "nope"}, format="json")
    assert wrong.status_code == 403
    response = api_alice.delete("/api/users/me", {"password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json()["deleted"] is True
    assert not User.objects.filter(pk=alice.pk).exists()
    assert api_alice.get("/api/users/me").status_code == 401


def test_preferences_round_trip(api_alice: APIClient) -> None:
    wanted = {
        "daily_word_goal": 500,
        "writing_reminder_time": "21:30",
        "theme_preferences": {"mode": "dark"},
        "ai_features_enabled": False,
        "timezone": "America/Los_Angeles",
        "locale": "fr-CA",
    }
    assert api_alice.put("/api/users/me/preferences", wanted, format="json").status_code == 200
    assert api_alice.get("/api/users/me/preferences").json() == wanted


def test_preferences_accept_a_partial_body(api_alice: APIClient) -> None:
    response = api_alice.put("/api/users/me/preferences", {"daily_word_goal": 42}, format="json")
    assert response.status_code == 200
    assert response.json()["daily_word_goal"] == 42
    assert response.json()["timezone"] == "UTC"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("daily_word_goal", 0),
        ("daily_word_goal", 100_001),
        ("writing_reminder_time", "25:00"),
        ("theme_preferences", {"blob": "x" * 100_000}),
        ("theme_preferences", ["not", "an", "object"]),
        ("locale", "not a locale!"),
        ("ai_features_enabled", "perhaps"),
    ],
)
def test_invalid_preferences_are_refused_with_fields(
    api_alice: APIClient, alice: User, field: str, value: object
) -> None:
    response = api_alice.put("/api/users/me/preferences", {field: value}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {field}
    alice.refresh_from_db()
    assert alice.daily_word_goal == 750


def test_devices_list_and_forget(api_alice: APIClient, alice: User, bob: User) -> None:
    from accounts.devices import device_seen

    device_seen(user=alice, device_id="phone-1")
    device_seen(user=bob, device_id="bob-laptop")
    listed = api_alice.get("/api/users/me/devices").json()["devices"]
    assert [d["device_id"] for d in listed] == ["phone-1"]
    assert api_alice.delete("/api/users/me/devices/bob-laptop").status_code == 404
    assert api_alice.delete("/api/users/me/devices/phone-1").status_code == 204
    assert api_alice.get("/api/users/me/devices").json()["devices"] == []
    assert client_for(bob).get("/api/users/me/devices").json()["devices"][0]["device_id"] == (
        "bob-laptop"
    )


def test_stats_report_devices_and_last_sync(api_alice: APIClient, alice: User) -> None:
    from accounts.devices import device_seen

    device_seen(user=alice, device_id="phone-1")
    stats = api_alice.get("/api/users/me/stats").json()
    assert stats["devices"] == 1
    assert stats["last_sync_at"] is not None


def test_export_streams_the_whole_account_as_json(api_alice: APIClient, alice: User) -> None:
    response = api_alice.get("/api/users/me/export")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    content = response.streaming_content  # type: ignore[attr-defined]
    document = json.loads(b"".join(content))
    assert document["format"] == "reflective-export/1"
    assert document["user"]["email"] == "alice@example.com"
    assert "password" not in json.dumps(document["user"])
    assert isinstance(document["consent_history"], list)

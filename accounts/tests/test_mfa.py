"""TOTP second factor: enrolment, login with a code or a recovery code, replay, disabling."""

import functools
import time
from typing import Any

import pyotp
import pytest
from rest_framework.test import APIClient

from accounts.mfa import MfaMessages
from accounts.models import RecoveryCode, TotpFactor, User
from conftest import PASSWORD, client_for, run_in_threads


def enrol(client: APIClient) -> str:
    """Enable TOTP for the client's account; returns the secret."""
    started = client.post("/api/users/me/2fa/totp", {"password": PASSWORD}, format="json")
    assert started.status_code == 201
    secret = started.json()["secret"]
    confirmed = client.post(
        "/api/users/me/2fa/totp/confirm", {"code": pyotp.TOTP(secret).now()}, format="json"
    )
    assert confirmed.status_code == 200
    return str(secret)


def login(email: str = "alice@example.com", **extra: str) -> Any:
    body = {"email": email, "password": PASSWORD, **extra}
    return APIClient().post("/api/auth/token", body, format="json")


def second_step(challenge: str, **code: str) -> Any:
    body = {"mfa_challenge": challenge, **code}
    return APIClient().post("/api/auth/token/mfa", body, format="json")


def code_of_next_step(secret: str) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_enrolment_returns_the_secret_once_with_an_otpauth_uri(api_alice: APIClient) -> None:
    started = api_alice.post("/api/users/me/2fa/totp", {"password": PASSWORD}, format="json")

    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/Reflective:alice%40example.com?")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert "secret" not in api_alice.get("/api/users/me/2fa").json()


def test_enrolment_needs_the_password(api_alice: APIClient) -> None:
    response = api_alice.post("/api/users/me/2fa/totp", {"password": "wrong"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_password"


def test_the_secret_is_stored_encrypted(api_alice: APIClient, alice: User) -> None:
    secret = enrol(api_alice)
    stored = bytes(TotpFactor.objects.get(user=alice).secret_encrypted)
    assert secret.encode() not in stored
    assert len(stored) == 12 + len(secret) + 16  # nonce, ciphertext, GCM tag


def test_confirming_gives_ten_recovery_codes_stored_hashed(
    api_alice: APIClient, alice: User
) -> None:
    started = api_alice.post("/api/users/me/2fa/totp", {"password": PASSWORD}, format="json")
    code = pyotp.TOTP(started.json()["secret"]).now()

    codes = api_alice.post("/api/users/me/2fa/totp/confirm", {"code": code}, format="json").json()

    assert len(set(codes["recovery_codes"])) == 10
    stored = set(RecoveryCode.objects.filter(user=alice).values_list("code_hash", flat=True))
    assert not stored & set(codes["recovery_codes"])
    status = api_alice.get("/api/users/me/2fa").json()
    assert status["totp_enabled"] is True
    assert status["recovery_codes_left"] == 10


def test_a_wrong_first_code_does_not_enable(api_alice: APIClient) -> None:
    api_alice.post("/api/users/me/2fa/totp", {"password": PASSWORD}, format="json")
    refused = api_alice.post("/api/users/me/2fa/totp/confirm", {"code": "000000"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "invalid_mfa_code"
    assert login().status_code == 200


def test_an_account_without_a_factor_logs_in_as_before(alice: User) -> None:
    response = login()
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}


def test_login_with_a_factor_needs_a_code(api_alice: APIClient) -> None:
    secret = enrol(api_alice)

    first = login()
    assert first.status_code == 401
    body = first.json()
    assert body["code"] == "mfa_required"
    assert body["detail"] == MfaMessages.REQUIRED
    assert "access_token" not in body

    tokens = second_step(body["mfa_challenge"], code=code_of_next_step(secret))
    assert tokens.status_code == 200
    assert tokens.json()["token_type"] == "bearer"


def test_a_wrong_password_never_reveals_the_factor(api_alice: APIClient) -> None:
    enrol(api_alice)
    response = APIClient().post(
        "/api/auth/token", {"email": "alice@example.com", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_a_used_code_is_refused(api_alice: APIClient) -> None:
    secret = enrol(api_alice)
    code = code_of_next_step(secret)
    assert second_step(login().json()["mfa_challenge"], code=code).status_code == 200

    replayed = second_step(login().json()["mfa_challenge"], code=code)

    assert replayed.status_code == 401
    assert replayed.json()["code"] == "invalid_mfa_code"


def test_an_older_code_than_the_last_used_one_is_refused(api_alice: APIClient) -> None:
    secret = enrol(api_alice)  # used the current step's code
    previous = pyotp.TOTP(secret).at(time.time() - 30)
    assert second_step(login().json()["mfa_challenge"], code=previous).status_code == 401


def test_a_recovery_code_works_once(api_alice: APIClient) -> None:
    started = api_alice.post("/api/users/me/2fa/totp", {"password": PASSWORD}, format="json")
    code = pyotp.TOTP(started.json()["secret"]).now()
    confirm = api_alice.post("/api/users/me/2fa/totp/confirm", {"code": code}, format="json")
    recovery = confirm.json()["recovery_codes"][0]

    ok = second_step(login().json()["mfa_challenge"], recovery_code=recovery.upper())
    again = second_step(login().json()["mfa_challenge"], recovery_code=recovery)

    assert ok.status_code == 200
    assert again.status_code == 401
    assert api_alice.get("/api/users/me/2fa").json()["recovery_codes_left"] == 9


def test_a_forged_or_expired_challenge_is_refused(api_alice: APIClient, settings: Any) -> None:
    secret = enrol(api_alice)
    forged = second_step("eyJ1Ijoi.forged", code=code_of_next_step(secret))
    assert forged.json()["code"] == "invalid_mfa_challenge"

    challenge = login().json()["mfa_challenge"]
    settings.MFA_CHALLENGE_SECONDS = -1
    expired = second_step(challenge, code=code_of_next_step(secret))
    assert expired.status_code == 401
    assert expired.json()["code"] == "invalid_mfa_challenge"


def test_disabling_needs_the_password_and_a_code(api_alice: APIClient) -> None:
    secret = enrol(api_alice)

    def disable(**body: str) -> Any:
        return api_alice.delete("/api/users/me/2fa/totp", body, format="json")

    assert disable(password="wrong", code=code_of_next_step(secret)).status_code == 403
    assert disable(password=PASSWORD).status_code == 400
    assert disable(password=PASSWORD, code="123456").json()["code"] == "invalid_mfa_code"
    assert disable(password=PASSWORD, code=code_of_next_step(secret)).status_code == 204
    assert login().status_code == 200
    assert api_alice.get("/api/users/me/2fa").json()["totp_enabled"] is False


def test_enrolling_twice_is_refused_once_enabled(api_alice: APIClient) -> None:
    enrol(api_alice)
    again = api_alice.post("/api/users/me/2fa/totp", {"password": PASSWORD}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "mfa_already_enabled"


def test_codes_are_throttled_per_account(api_alice: APIClient) -> None:
    enrol(api_alice)  # the confirming code is the first of the account's five a minute
    challenge = login().json()["mfa_challenge"]
    statuses = [second_step(challenge, code="000000").status_code for _ in range(5)]
    assert statuses == [401] * 4 + [429]
    # A new challenge (another login) shares the account's budget.
    assert second_step(login().json()["mfa_challenge"], code="000000").status_code == 429


def test_another_account_is_not_affected(api_alice: APIClient, bob: User) -> None:
    enrol(api_alice)
    assert login("bob@example.com").status_code == 200
    status = client_for(bob).get("/api/users/me/2fa").json()
    assert status == {"totp_enabled": False, "enabled_at": None, "recovery_codes_left": 0}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/users/me/2fa"),
        ("post", "/api/users/me/2fa/totp"),
        ("post", "/api/users/me/2fa/totp/confirm"),
        ("delete", "/api/users/me/2fa/totp"),
    ],
)
def test_the_factor_endpoints_need_a_login(anon: APIClient, method: str, path: str) -> None:
    assert getattr(anon, method)(path, {}, format="json").status_code == 401


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_code_sent_twice_at_once_logs_in_once(alice: User) -> None:
    secret = enrol(client_for(alice))
    code = code_of_next_step(secret)
    challenges = [login().json()["mfa_challenge"] for _ in range(2)]
    statuses: list[int] = []

    def attempt(challenge: str) -> None:
        statuses.append(second_step(challenge, code=code).status_code)

    errors = run_in_threads(
        [functools.partial(attempt, challenge) for challenge in challenges], together=True
    )

    assert errors == []
    assert sorted(statuses) == [200, 401]


def test_the_device_name_rides_through_the_challenge(api_alice: APIClient) -> None:
    secret = enrol(api_alice)
    name = "Téléphone de Ålice 📱" * 4
    challenge = login(device_name=name).json()["mfa_challenge"]

    tokens = second_step(challenge, code=code_of_next_step(secret)).json()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    current = [s for s in client.get("/api/users/me/sessions").json()["sessions"] if s["current"]]
    assert current[0]["device_name"] == name

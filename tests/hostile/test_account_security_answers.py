"""Every error of the account-security endpoints is in the error shape and documented.

The schema fuzz reaches these operations as a user without a second factor; here each one
is driven into the answers that need state (a factor, a challenge, a used budget).
"""

from typing import Any

import pyotp
import pytest
from rest_framework.test import APIClient

from accounts.models import User
from conftest import PASSWORD, client_for


@pytest.fixture
def documented(anon: APIClient) -> dict[str, Any]:
    return dict(anon.get("/api/schema/", {"format": "json"}).json()["paths"])


def check(documented: dict[str, Any], method: str, path: str, response: Any, code: str) -> None:
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert str(response.status_code) in documented[path][method]["responses"]


def enable_factor(client: APIClient) -> str:
    secret = client.post("/api/users/me/2fa/totp", {"password": PASSWORD}).json()["secret"]
    client.post("/api/users/me/2fa/totp/confirm", {"code": pyotp.TOTP(secret).now()})
    return str(secret)


def test_login_and_second_step_refusals(
    alice: User, anon: APIClient, documented: dict[str, Any]
) -> None:
    enable_factor(client_for(alice))
    first = anon.post("/api/auth/token", {"email": alice.email, "password": PASSWORD})
    check(documented, "post", "/api/auth/token", first, "mfa_required")
    challenge = first.json()["mfa_challenge"]

    path = "/api/auth/token/mfa"
    wrong = anon.post(path, {"mfa_challenge": challenge, "code": "000000"})
    check(documented, "post", path, wrong, "invalid_mfa_code")
    forged = anon.post(path, {"mfa_challenge": "forged", "code": "000000"})
    check(documented, "post", path, forged, "invalid_mfa_challenge")
    for _ in range(5):
        last = anon.post(path, {"mfa_challenge": challenge, "code": "000000"})
    check(documented, "post", path, last, "throttled")


def test_enrolment_and_disabling_refusals(alice: User, documented: dict[str, Any]) -> None:
    client = client_for(alice)
    enrol, confirm = "/api/users/me/2fa/totp", "/api/users/me/2fa/totp/confirm"
    check(documented, "post", confirm, client.post(confirm, {"code": "1"}), "mfa_not_pending")
    check(
        documented,
        "delete",
        enrol,
        client.delete(enrol, {"password": PASSWORD, "code": "123456"}),
        "mfa_not_enabled",
    )
    check(documented, "post", enrol, client.post(enrol, {"password": "x"}), "wrong_password")
    client.post(enrol, {"password": PASSWORD})
    check(documented, "post", confirm, client.post(confirm, {"code": "000000"}), "invalid_mfa_code")


def test_session_and_mail_link_refusals(
    alice: User, anon: APIClient, documented: dict[str, Any]
) -> None:
    client = client_for(alice)
    missing = client.delete("/api/users/me/sessions/00000000-0000-0000-0000-000000000000")
    check(documented, "delete", "/api/users/me/sessions/{session_id}", missing, "not_found")
    for path in ("/api/auth/password/reset/confirm", "/api/auth/email/confirm"):
        body = {"token": "made-up", "new_password": "a fine new passphrase"}
        if path.endswith("email/confirm"):
            body.pop("new_password")
        check(documented, "post", path, anon.post(path, body), "invalid_token")
    for _ in range(4):
        last = anon.post("/api/auth/password/reset", {"email": "nobody@example.com"})
    check(documented, "post", "/api/auth/password/reset", last, "throttled")


def test_every_account_security_operation_documents_its_throttle(
    documented: dict[str, Any],
) -> None:
    operations = [
        ("post", "/api/auth/token/mfa"),
        ("post", "/api/auth/logout-all"),
        ("post", "/api/auth/password/reset"),
        ("post", "/api/auth/password/reset/confirm"),
        ("post", "/api/auth/email/confirm"),
        ("get", "/api/users/me/sessions"),
        ("delete", "/api/users/me/sessions/{session_id}"),
        ("get", "/api/users/me/2fa"),
        ("post", "/api/users/me/2fa/totp"),
        ("delete", "/api/users/me/2fa/totp"),
        ("post", "/api/users/me/2fa/totp/confirm"),
    ]
    assert [op for op in operations if "429" not in documented[op[1]][op[0]]["responses"]] == []

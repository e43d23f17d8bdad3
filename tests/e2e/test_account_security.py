"""Account security through gunicorn on PostgreSQL, with mail over a real SMTP server.

A second device that must give a code, a code used twice, a reset mail parsed from what the
SMTP server received, a reset link used twice, an email change, and the CLI's commands.
Nothing secret (codes, secrets, links) may appear in the server's log.
"""

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests
from django.db import connection

from conftest import skip_outside_ci
from reflective_client import ReflectiveClient, ServerError
from reflective_client.cli import main
from reflective_client.keyfile import KeyMaterial
from tests.e2e.conftest import RunningServer, database_url, running_gunicorn
from tests.smtp import Inbox, running_smtp, token_in

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

EMAIL = "e2e-guarded@example.com"
PASSWORD = "an e2e password that is long"
NEW_PASSWORD = "the e2e password after a reset"


@pytest.fixture
def server_and_inbox(
    transactional_db: None, tmp_path: Path
) -> Iterator[tuple[RunningServer, Inbox]]:
    if connection.vendor != "postgresql":
        skip_outside_ci("the end-to-end server runs on PostgreSQL")
    with (
        running_smtp() as inbox,
        running_gunicorn(database_url(), tmp_path, env={"EMAIL_URL": inbox.url}) as server,
    ):
        yield server, inbox


def api(
    server: RunningServer, method: str, path: str, bearer: str | None = None, **body: Any
) -> Any:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return requests.request(
        method, f"{server.url}/api/{path}", json=body, headers=headers, timeout=30
    )


def login(server: RunningServer, password: str = PASSWORD, device: str = "") -> Any:
    return api(server, "POST", "auth/token", email=EMAIL, password=password, device_name=device)


def next_step_code(secret: str, steps: int = 1) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def test_a_second_device_needs_the_code_and_a_code_works_once(
    server_and_inbox: tuple[RunningServer, Inbox],
) -> None:
    server, _ = server_and_inbox
    assert api(server, "POST", "auth/register", email=EMAIL, password=PASSWORD).status_code == 201
    laptop = login(server, device="laptop").json()["access_token"]
    secret = api(server, "POST", "users/me/2fa/totp", laptop, password=PASSWORD).json()["secret"]
    confirmed = api(
        server, "POST", "users/me/2fa/totp/confirm", laptop, code=pyotp.TOTP(secret).now()
    )
    recovery_codes = confirmed.json()["recovery_codes"]

    refused = login(server, device="phone")
    assert refused.status_code == 401
    assert refused.json()["code"] == "mfa_required"
    code = next_step_code(secret)
    phone = api(
        server, "POST", "auth/token/mfa", mfa_challenge=refused.json()["mfa_challenge"], code=code
    )
    assert phone.status_code == 200

    replay_challenge = login(server, device="thief").json()["mfa_challenge"]
    replayed = api(server, "POST", "auth/token/mfa", mfa_challenge=replay_challenge, code=code)
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "invalid_mfa_code"

    tablet_challenge = login(server, device="tablet").json()["mfa_challenge"]
    tablet = api(
        server,
        "POST",
        "auth/token/mfa",
        mfa_challenge=tablet_challenge,
        recovery_code=recovery_codes[0],
    )
    assert tablet.status_code == 200

    listed = api(server, "GET", "users/me/sessions", laptop).json()["sessions"]
    assert sorted(s["device_name"] for s in listed) == ["laptop", "phone", "tablet"]
    assert [s["device_name"] for s in listed if s["current"]] == ["laptop"]
    phone_id = next(s["id"] for s in listed if s["device_name"] == "phone")
    assert api(server, "DELETE", f"users/me/sessions/{phone_id}", laptop).status_code == 204
    assert api(server, "GET", "users/me", phone.json()["access_token"]).status_code == 401
    assert api(server, "POST", "auth/logout-all", laptop).json() == {"revoked_sessions": 1}
    assert api(server, "GET", "users/me", tablet.json()["access_token"]).status_code == 401
    assert api(server, "GET", "users/me", laptop).status_code == 200

    log = server.log_bytes()
    for secret_text in (secret, code, *recovery_codes, PASSWORD):
        assert secret_text.encode() not in log


def test_a_reset_mail_over_smtp_sets_a_password_once(
    server_and_inbox: tuple[RunningServer, Inbox],
) -> None:
    server, inbox = server_and_inbox
    api(server, "POST", "auth/register", email=EMAIL, password=PASSWORD)
    old_session = login(server).json()["access_token"]

    known = api(server, "POST", "auth/password/reset", email=EMAIL.upper())
    unknown = api(server, "POST", "auth/password/reset", email="nobody-e2e@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    token = token_in(inbox.wait_for(EMAIL))

    reset = api(
        server, "POST", "auth/password/reset/confirm", token=token, new_password=NEW_PASSWORD
    )
    assert reset.status_code == 204, reset.text
    reused = api(
        server,
        "POST",
        "auth/password/reset/confirm",
        token=token,
        new_password="another one entirely",
    )
    assert reused.status_code == 400
    assert reused.json()["code"] == "invalid_token"
    assert api(server, "GET", "users/me", old_session).status_code == 401
    assert login(server).status_code == 401
    assert login(server, NEW_PASSWORD).status_code == 200
    assert inbox.to("nobody-e2e@example.com") == []
    assert token.encode() not in server.log_bytes()


def test_an_email_change_waits_for_the_new_address(
    server_and_inbox: tuple[RunningServer, Inbox],
) -> None:
    server, inbox = server_and_inbox
    api(server, "POST", "auth/register", email=EMAIL, password=PASSWORD)
    access = login(server).json()["access_token"]
    new_email = "e2e-moved@example.com"

    pending = api(server, "PATCH", "users/me", access, email=new_email, current_password=PASSWORD)
    assert pending.json()["email"] == EMAIL
    token = token_in(inbox.wait_for(new_email))
    assert api(server, "POST", "auth/email/confirm", token=token).json() == {"email": new_email}

    assert api(server, "GET", "users/me", access).json()["email"] == new_email
    assert inbox.wait_for(EMAIL)["Subject"] == "Your Reflective email address was changed"


def test_the_cli_enables_2fa_lists_sessions_and_resets_the_password(
    server_and_inbox: tuple[RunningServer, Inbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, inbox = server_and_inbox
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("REFLECTIVE_SERVER_URL", server.url)
    monkeypatch.setenv("REFLECTIVE_PASSWORD", PASSWORD)
    out = io.StringIO()

    def cli(*argv: str, expect: int = 0) -> str:
        out.seek(0)
        out.truncate()
        assert main(["--as", EMAIL, *argv], out=out) == expect
        return out.getvalue()

    def printed_secret(text: str) -> str:
        found = re.search(r"secret: (\w+)", text)
        assert found is not None
        return found.group(1)

    def code_from_printed_secret(prompt: str) -> str:
        return pyotp.TOTP(printed_secret(out.getvalue())).now()

    cli("register")
    monkeypatch.setattr("builtins.input", code_from_printed_secret)
    enabled = cli("2fa", "enable")
    assert "otpauth://totp/" in enabled
    recovery_codes = re.findall(r"^  ([a-z2-9]{5}-[a-z2-9]{5})$", enabled, re.MULTILINE)
    assert len(recovery_codes) == 10
    secret = printed_secret(enabled)
    assert "2fa: enabled, 10 recovery codes left" in cli("2fa", "status")

    other = ReflectiveClient(KeyMaterial.generate(EMAIL), server.url)
    with pytest.raises(ServerError) as refused:
        other.login(PASSWORD)
    assert refused.value.code == "mfa_required"
    used_code = next_step_code(secret)
    other.login(PASSWORD, second_factor=lambda: {"code": used_code})
    listing = cli("sessions")
    assert listing.count("reflective_client ") == 2
    assert listing.count("\n* ") + listing.startswith("* ") == 1
    assert "ended 1 other sessions" in cli("sessions", "--others")

    assert "reset link is on its way" in cli("password-reset", "request")
    token = token_in(inbox.wait_for(EMAIL))
    monkeypatch.setenv("REFLECTIVE_NEW_PASSWORD", NEW_PASSWORD)
    assert "every session was ended" in cli("password-reset", "confirm", token)
    cli("password-reset", "confirm", token, expect=1)  # a used link

    # A reset leaves the factor on: the next login needs a code, here a recovery code.
    monkeypatch.setenv("REFLECTIVE_PASSWORD", NEW_PASSWORD)
    monkeypatch.setenv("REFLECTIVE_TOTP_CODE", recovery_codes[0])
    assert "2fa: enabled, 9 recovery codes left" in cli("2fa", "status")
    # The very code the other device's login used: computing it anew could land in the next
    # time step by now, and a fresh code would rightly be accepted.
    monkeypatch.setenv("REFLECTIVE_TOTP_CODE", used_code)
    cli("2fa", "disable", expect=1)
    monkeypatch.setenv("REFLECTIVE_TOTP_CODE", recovery_codes[1])
    assert "2fa: disabled" in cli("2fa", "disable")

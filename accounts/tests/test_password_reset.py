"""Password reset by mail, over a real SMTP server started by the test."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import MailToken, User
from accounts.password_reset import ResetMessages
from conftest import PASSWORD, client_for
from tests.smtp import Inbox, body_of, token_in

pytestmark = pytest.mark.django_db(transaction=True)  # mail leaves when the transaction commits
NEW_PASSWORD = "a brand new passphrase for alice"


def request_reset(email: str) -> Any:
    return APIClient().post("/api/auth/password/reset", {"email": email}, format="json")


def confirm(token: str, password: str = NEW_PASSWORD) -> Any:
    body = {"token": token, "new_password": password}
    return APIClient().post("/api/auth/password/reset/confirm", body, format="json")


def login(password: str) -> int:
    body = {"email": "alice@example.com", "password": password}
    return int(APIClient().post("/api/auth/token", body, format="json").status_code)


def test_the_answer_is_the_same_for_unknown_addresses(alice: User, smtp_inbox: Inbox) -> None:
    known = request_reset("ALICE@example.com")
    unknown = request_reset("nobody@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(smtp_inbox.messages) == 1
    assert smtp_inbox.messages[0]["To"] == "alice@example.com"


def test_the_mailed_link_sets_a_new_password_and_ends_every_session(
    alice: User, smtp_inbox: Inbox
) -> None:
    session = client_for(alice)
    request_reset("alice@example.com")
    mail = smtp_inbox.wait_for("alice@example.com")
    assert mail["Subject"] == ResetMessages.RESET_SUBJECT
    token = token_in(mail)

    assert confirm(token).status_code == 204

    assert session.get("/api/users/me").status_code == 401
    assert login(PASSWORD) == 401
    assert login(NEW_PASSWORD) == 200


def test_only_a_hash_of_the_token_is_stored(alice: User, smtp_inbox: Inbox) -> None:
    request_reset("alice@example.com")
    token = token_in(smtp_inbox.wait_for("alice@example.com"))
    stored = MailToken.objects.get()
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_a_used_link_is_refused(alice: User, smtp_inbox: Inbox) -> None:
    request_reset("alice@example.com")
    token = token_in(smtp_inbox.wait_for("alice@example.com"))
    assert confirm(token).status_code == 204

    again = confirm(token, "yet another passphrase here")

    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"
    assert login(NEW_PASSWORD) == 200


def test_an_expired_link_is_refused(alice: User, smtp_inbox: Inbox) -> None:
    request_reset("alice@example.com")
    token = token_in(smtp_inbox.wait_for("alice@example.com"))
    MailToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert confirm(token).json()["code"] == "invalid_token"
    assert login(PASSWORD) == 200


def test_the_link_lasts_thirty_minutes(alice: User, smtp_inbox: Inbox) -> None:
    request_reset("alice@example.com")
    assert "within 30 minutes" in body_of(smtp_inbox.wait_for("alice@example.com"))
    stored = MailToken.objects.get()
    assert stored.expires_at - stored.created_at == pytest.approx(
        timedelta(minutes=30), abs=timedelta(seconds=1)
    )


def test_a_newer_link_replaces_the_older_one(alice: User, smtp_inbox: Inbox) -> None:
    request_reset("alice@example.com")
    older = token_in(smtp_inbox.wait_for("alice@example.com"))
    request_reset("alice@example.com")
    newer = token_in(smtp_inbox.wait_for("alice@example.com", count=2))
    assert confirm(older).status_code == 400
    assert confirm(newer).status_code == 204


def test_a_weak_password_does_not_use_up_the_link(alice: User, smtp_inbox: Inbox) -> None:
    request_reset("alice@example.com")
    token = token_in(smtp_inbox.wait_for("alice@example.com"))
    weak = confirm(token, "123")
    assert weak.json()["code"] == "weak_password"
    assert confirm(token).status_code == 204


def test_reset_touches_no_data(alice: User, smtp_inbox: Inbox) -> None:
    client_for(alice).put("/api/users/me/preferences", {"daily_word_goal": 321}, format="json")
    request_reset("alice@example.com")
    confirm(token_in(smtp_inbox.wait_for("alice@example.com")))
    alice.refresh_from_db()
    assert alice.daily_word_goal == 321
    assert alice.privacy_tier == "full_sync"


def test_requests_are_throttled_per_address(alice: User, smtp_inbox: Inbox) -> None:
    statuses = [request_reset("alice@example.com").status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    assert request_reset("nobody@example.com").status_code == 202  # another address

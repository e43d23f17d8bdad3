"""An email change takes effect only once confirmed from the new address (real SMTP)."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.password_reset import ResetMessages
from conftest import PASSWORD, client_for
from tests.smtp import Inbox, token_in

pytestmark = pytest.mark.django_db(transaction=True)  # mail leaves when the transaction commits


def request_change(client: APIClient, email: str = "new-alice@example.com") -> Any:
    body = {"email": email, "current_password": PASSWORD}
    return client.patch("/api/users/me", body, format="json")


def confirm(token: str) -> Any:
    return APIClient().post("/api/auth/email/confirm", {"token": token}, format="json")


def test_the_address_changes_only_after_the_new_one_confirms(
    alice: User, smtp_inbox: Inbox
) -> None:
    client = client_for(alice)
    pending = request_change(client).json()
    assert pending["email"] == "alice@example.com"
    assert pending["pending_email"] == "new-alice@example.com"
    mail = smtp_inbox.wait_for("new-alice@example.com")
    assert mail["Subject"] == ResetMessages.CHANGE_SUBJECT

    confirmed = confirm(token_in(mail))

    assert confirmed.json() == {"email": "new-alice@example.com"}
    me = client.get("/api/users/me").json()
    assert (me["email"], me["pending_email"]) == ("new-alice@example.com", None)
    notice = smtp_inbox.wait_for("alice@example.com")
    assert notice["Subject"] == ResetMessages.CHANGED_SUBJECT


def test_a_confirmation_link_works_once(alice: User, smtp_inbox: Inbox) -> None:
    request_change(client_for(alice))
    token = token_in(smtp_inbox.wait_for("new-alice@example.com"))
    assert confirm(token).status_code == 200
    again = confirm(token)
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"


def test_a_reset_token_does_not_confirm_an_email(alice: User, smtp_inbox: Inbox) -> None:
    APIClient().post("/api/auth/password/reset", {"email": "alice@example.com"}, format="json")
    reset_token = token_in(smtp_inbox.wait_for("alice@example.com"))
    assert confirm(reset_token).json()["code"] == "invalid_token"


def test_an_address_taken_meanwhile_is_refused(
    alice: User, make_user: Any, smtp_inbox: Inbox
) -> None:
    request_change(client_for(alice))
    token = token_in(smtp_inbox.wait_for("new-alice@example.com"))
    make_user("new-alice@example.com")
    assert confirm(token).json()["code"] == "email_taken"
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_a_pending_change_is_not_anyone_elses(alice: User, bob: User, smtp_inbox: Inbox) -> None:
    request_change(client_for(alice))
    assert client_for(bob).get("/api/users/me").json()["pending_email"] is None

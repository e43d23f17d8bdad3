"""Forged, expired, misused and revoked tokens are all one 401 in the one error shape."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import TokenPair, session_start
from reflective.errors import Messages

REJECTED = {"code": "not_authenticated", "detail": Messages.NOT_AUTHENTICATED}


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _signed(claims: dict[str, Any], key: str = "", algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)


def _alg_none(pair: TokenPair) -> str:
    return jwt.encode(_claims(pair["access_token"]), "", algorithm="none")


def _wrong_signature(pair: TokenPair) -> str:
    return _signed(_claims(pair["access_token"]), key="not-the-server-key-" + "x" * 40)


def _expired(pair: TokenPair) -> str:
    claims = _claims(pair["access_token"])
    claims["exp"] = int((timezone.now() - timedelta(seconds=5)).timestamp())
    return _signed(claims)


def _refresh_as_access(pair: TokenPair) -> str:
    return pair["refresh_token"]


def _tampered_payload(pair: TokenPair) -> str:
    header, _, signature = pair["access_token"].split(".")
    payload = _signed({**_claims(pair["access_token"]), "user_id": 999_999}).split(".")[1]
    return f"{header}.{payload}.{signature}"


def _not_a_jwt(pair: TokenPair) -> str:
    return "not-a-token"


@pytest.mark.parametrize(
    "forge",
    [_alg_none, _wrong_signature, _expired, _refresh_as_access, _tampered_payload, _not_a_jwt],
)
def test_a_bad_token_is_a_401_in_the_error_shape(
    alice: User, forge: Callable[[TokenPair], str]
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forge(session_start(user=alice))}")
    response = client.get("/api/users/me")
    assert response.status_code == 401
    assert response.json() == REJECTED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_expired_token_was_otherwise_valid(alice: User) -> None:
    """Guards the expiry case above: the same claims with a live exp are accepted."""
    pair = session_start(user=alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_signed(_claims(pair['access_token']))}")
    assert client.get("/api/users/me").status_code == 200


def test_a_logged_out_sessions_tokens_are_a_401_in_the_error_shape(
    anon: APIClient, alice: User
) -> None:
    pair = session_start(user=alice)
    assert (
        anon.post("/api/auth/logout", {"refresh_token": pair["refresh_token"]}).status_code == 204
    )
    for token in (pair["access_token"], pair["refresh_token"]):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.get("/api/sync/state")
        assert response.status_code == 401
        assert response.json() == REJECTED
    refreshed = anon.post("/api/auth/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401
    assert refreshed.json()["code"] == "invalid_refresh_token"


def test_a_deactivated_users_token_is_a_401(alice: User) -> None:
    pair = session_start(user=alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    response = client.get("/api/users/me")
    assert response.status_code == 401
    assert response.json() == REJECTED

"""A body's charset must be a text encoding; any other is a 415, never a 500."""

import pytest
from rest_framework.test import APIClient

from reflective.errors import Messages

NOT_TEXT = ["hex", "bz2_codec", "zlib_codec", "base64"]


@pytest.mark.parametrize("charset", NOT_TEXT)
def test_the_metrics_upload_refuses_a_non_text_charset(api_alice: APIClient, charset: str) -> None:
    response = api_alice.generic(
        "POST",
        "/api/encryption/metrics",
        '{"metrics": []}',
        content_type=f"application/json; charset={charset}",
    )
    assert response.status_code == 415
    assert response.json() == {
        "code": "unsupported_charset",
        "detail": Messages.UNSUPPORTED_CHARSET,
    }


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=hex",
        "application/x-www-form-urlencoded; charset=bz2_codec",
    ],
)
def test_every_parser_refuses_a_non_text_charset(api_alice: APIClient, content_type: str) -> None:
    response = api_alice.generic(
        "PATCH", "/api/users/me", "display_name=x", content_type=content_type
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_charset"


def test_a_text_charset_other_than_utf8_is_decoded(api_alice: APIClient) -> None:
    body = '{"display_name": "Zoë"}'.encode("utf-16")
    response = api_alice.generic(
        "PATCH",
        "/api/users/me",
        body,  # type: ignore[arg-type]  # the test client sends bytes as they are
        content_type="application/json; charset=utf-16",
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Zoë"


def test_an_unknown_charset_falls_back_to_utf8(api_alice: APIClient) -> None:
    response = api_alice.generic(
        "PATCH",
        "/api/users/me",
        '{"display_name": "Zoë"}',
        content_type="application/json; charset=no-such-charset",
    )
    assert response.status_code == 200

"""A body's charset must be a text encoding; any other is a 415, never a 500."""

import io

import pytest
from rest_framework.parsers import BaseParser
from rest_framework.test import APIClient

from reflective.errors import ApiError, Messages
from reflective.lib.parsers import BoundedJSONParser, CharsetCheckedFormParser
from tests.wsgi import wsgi_call

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


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_non_text_charset_is_refused_before_django_decodes_the_query(method: str) -> None:
    # Django decodes the query string while it builds the request, before any middleware.
    response = wsgi_call(
        method, "/api/sync/backups?limit=5", content_type="application/json; charset=HEX"
    )
    assert response.status == 415
    assert response.json() == {
        "code": "unsupported_charset",
        "detail": Messages.UNSUPPORTED_CHARSET,
    }


def test_an_unknown_charset_with_a_query_reaches_the_api(db: None) -> None:
    response = wsgi_call("GET", "/api/sync/backups?limit=5", content_type="text/plain; charset=x")
    assert response.status == 401


@pytest.mark.parametrize("parser", [BoundedJSONParser(), CharsetCheckedFormParser()])
def test_the_parsers_check_the_charset_themselves(parser: BaseParser) -> None:
    with pytest.raises(ApiError) as refused:
        parser.parse(io.BytesIO(b"{}"), parser_context={"encoding": "bz2_codec"})
    assert refused.value.status == 415

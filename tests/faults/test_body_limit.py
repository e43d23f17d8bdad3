"""Bodies over the limit are refused with 413 JSON by the running server, before any parsing.

The server under test accepts at most 64 KiB per request body.
"""

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest
import requests

from reflective.errors import Messages
from tests.faults import stored
from tests.faults.conftest import BODY_LIMIT_BYTES
from tests.faults.writers import device_of, sealed_item

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TOO_LARGE = {
    "code": "body_too_large",
    "detail": Messages.BODY_TOO_LARGE.format(limit=BODY_LIMIT_BYTES),
    "limit": BODY_LIMIT_BYTES,
}


def _connection(server) -> http.client.HTTPConnection:
    address = urlsplit(server.url)
    return http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)


def _headers(writer) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {writer.api.access_token}",
        "Content-Type": "application/json",
    }


def test_a_declared_oversize_body_is_refused_without_being_read(impatient_server, alice):
    writer = device_of(alice, impatient_server.url)
    refused = _connection(impatient_server)
    refused.putrequest("POST", "/api/sync/batch")
    for name, value in _headers(writer).items():
        refused.putheader(name, value)
    refused.putheader("Content-Length", str(100 * 1024 * 1024))
    refused.endheaders()  # not one byte of the announced 100 MiB is ever sent

    started = time.monotonic()
    answer = refused.getresponse()
    assert time.monotonic() - started < 5
    assert answer.status == 413
    assert answer.getheader("Content-Type") == "application/json"
    assert json.loads(answer.read()) == TOO_LARGE
    refused.close()


def test_a_body_one_byte_over_the_limit_is_a_413_and_stores_nothing(impatient_server, alice):
    writer = device_of(alice, impatient_server.url)
    item = sealed_item(writer.keys, "big", "x" * (BODY_LIMIT_BYTES // 2), 0)
    body = json.dumps({"items": [item]}).encode()
    body += b" " * (BODY_LIMIT_BYTES + 1 - len(body))  # JSON allows trailing blanks
    assert len(body) == BODY_LIMIT_BYTES + 1

    answer = requests.post(
        f"{impatient_server.url}/api/sync/batch", data=body, headers=_headers(writer), timeout=30
    )

    assert answer.status_code == 413
    assert answer.json() == TOO_LARGE
    assert stored.entries(alice.email) == {}
    assert writer.journal.write("small", "A body within the limit.").status == "stored"


def test_a_chunked_body_is_refused_with_json_instead_of_being_read_as_empty(
    impatient_server, alice
):
    writer = device_of(alice, impatient_server.url)
    item = sealed_item(writer.keys, "chunked", "Sent in chunks.", 0)
    chunks = [json.dumps({"items": [item]}).encode()]
    chunked = _connection(impatient_server)

    chunked.request("POST", "/api/sync/batch", body=iter(chunks), headers=_headers(writer))
    answer = chunked.getresponse()

    assert answer.status == 411
    assert answer.getheader("Content-Type") == "application/json"
    assert json.loads(answer.read()) == {
        "code": "length_required",
        "detail": Messages.LENGTH_REQUIRED,
    }
    assert stored.entries(alice.email) == {}

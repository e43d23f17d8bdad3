"""Requests gunicorn refuses itself are answered in the API's JSON error shape, not HTML."""

import json
import socket
from http.client import HTTPResponse

import pytest

from reflective.lib.gunicorn_worker import json_error_response, write_json_error
from tests.e2e.conftest import RunningServer

GUNICORN_LINE_LIMIT = 4094  # gunicorn's limit_request_line default


def _answer(raw: bytes) -> HTTPResponse:
    server, client = socket.socketpair()
    with server, client:
        server.sendall(raw)
        server.shutdown(socket.SHUT_WR)
        response = HTTPResponse(client)
        response.begin()
        response.body = response.read()  # type: ignore[attr-defined]
        return response


def _send(server: RunningServer, request: bytes) -> HTTPResponse:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        response = HTTPResponse(connection)
        response.begin()
        response.body = response.read()  # type: ignore[attr-defined]
        return response


@pytest.mark.parametrize(
    ("status", "reason", "code"),
    [
        (400, "Bad Request", "bad_request"),
        (414, "URI Too Long", "uri_too_long"),
        (431, "Request Header Fields Too Large", "headers_too_large"),
        (500, "Internal Server Error", "server_error"),
    ],
)
def test_each_gunicorn_error_is_a_json_response(status: int, reason: str, code: str) -> None:
    response = _answer(json_error_response(status, reason))
    assert response.status == status
    assert response.getheader("Content-Type") == "application/json"
    body = json.loads(response.body)  # type: ignore[attr-defined]
    assert body["code"] == code
    assert set(body) == {"code", "detail"}


def test_the_request_is_never_quoted_back() -> None:
    server, client = socket.socketpair()
    with server, client:
        write_json_error(server, 400, "Bad Request", "Invalid request line 'GET /secret-token'")
        server.shutdown(socket.SHUT_WR)
        assert b"secret-token" not in client.recv(65536)


@pytest.mark.slow
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_live_server_answers_its_own_refusals_in_json(gunicorn_server: RunningServer) -> None:
    long_uri = b"/api/health?" + b"x" * (GUNICORN_LINE_LIMIT + 10)
    too_many_headers = b"".join(b"X-Filler-%d: 1\r\n" % n for n in range(150))
    refusals = {
        414: b"GET " + long_uri + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
        431: b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n" + too_many_headers + b"\r\n",
        400: b"NOT HTTP AT ALL\r\n\r\n",
    }
    for status, request in refusals.items():
        response = _send(gunicorn_server, request)
        assert response.status == status
        assert response.getheader("Content-Type") == "application/json"
        assert "code" in json.loads(response.body)  # type: ignore[attr-defined]


def test_a_connection_is_closed_at_once_only_with_nothing_left_unread() -> None:
    """The worker skips the graceful close's wait only when a reset cannot happen."""
    from types import SimpleNamespace

    from gunicorn.http.body import EOFReader, LengthReader

    from reflective.lib.gunicorn_worker import nothing_unread, request_read_whole

    def request(reader: object) -> object:
        return SimpleNamespace(body=SimpleNamespace(reader=reader))

    assert request_read_whole(request(LengthReader(None, 0)))
    assert not request_read_whole(request(LengthReader(None, 10)))  # the body was not read
    assert not request_read_whole(request(EOFReader(None)))
    assert not request_read_whole(None)  # gunicorn could not parse the request
    server, client = socket.socketpair()
    with server, client:
        assert nothing_unread(server)
        client.sendall(b"more")
        assert not nothing_unread(server)
        assert server.recv(4) == b"more"
        client.shutdown(socket.SHUT_WR)
        assert nothing_unread(server)  # the client closed: nothing more can come

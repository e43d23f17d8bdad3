"""The worker hands each answer to the kernel in one send: headers with the first body bytes."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPResponse
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser

from reflective.lib.gunicorn_worker import OneWriteResponse
from tests.e2e.conftest import RunningServer

REQUEST = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


class _CountingSocket(socket.socket):
    """A real socket that records what each ``sendall`` was given."""

    sends: list[bytes]

    def sendall(self, data: Any, *args: Any) -> None:
        self.sends.append(bytes(data))
        super().sendall(data, *args)


@contextmanager
def _response() -> Iterator[tuple[OneWriteResponse, _CountingSocket, socket.socket]]:
    """A response to a parsed request, on the worker's end of a socket pair."""
    worker_end, client = socket.socketpair()
    counting = _CountingSocket(worker_end.family, worker_end.type, fileno=worker_end.detach())
    counting.sends = []
    with counting, client:
        client.sendall(REQUEST)
        cfg = Config()
        request = next(iter(RequestParser(cfg, counting, ("127.0.0.1", 1))))
        response = OneWriteResponse(request, counting, cfg)
        response.force_close()
        yield response, counting, client


def _received(client: socket.socket, response: OneWriteResponse) -> HTTPResponse:
    response.sock.shutdown(socket.SHUT_WR)
    answer = HTTPResponse(client)
    answer.begin()
    answer.body = answer.read()  # type: ignore[attr-defined]
    return answer


def test_an_answer_of_known_length_is_one_send() -> None:
    with _response() as (response, counting, client):
        body = b'{"status": "ok"}'
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        response.start_response("200 OK", headers)
        response.write(body)
        response.close()
        assert len(counting.sends) == 1
        assert counting.sends[0].startswith(b"HTTP/1.1 200 OK\r\n")
        assert counting.sends[0].endswith(b"\r\n\r\n" + body)
        answer = _received(client, response)
        assert answer.status == 200
        assert answer.body == body  # type: ignore[attr-defined]


def test_an_answer_without_a_body_is_sent_at_close() -> None:
    with _response() as (response, counting, client):
        response.start_response("204 No Content", [])
        response.close()
        assert len(counting.sends) == 1
        assert _received(client, response).status == 204


@pytest.mark.parametrize("pieces", [[b"one", b"two", b"three"], []])
def test_a_chunked_answer_stays_valid_http(pieces: list[bytes]) -> None:
    with _response() as (response, _, client):
        response.start_response("200 OK", [("Content-Type", "text/plain")])
        for piece in pieces:
            response.write(piece)
        response.close()
        answer = _received(client, response)
        assert answer.getheader("Transfer-Encoding") == "chunked"
        assert answer.body == b"".join(pieces)  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_live_server_answers_in_one_piece(gunicorn_server: RunningServer) -> None:
    """Through gunicorn with the shipped config: the whole answer, headers and body."""
    host, port = gunicorn_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(REQUEST)
        answer = HTTPResponse(connection)
        answer.begin()
        body = answer.read()
    assert answer.status == 200
    assert len(body) == int(answer.getheader("Content-Length") or -1)

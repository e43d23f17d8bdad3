"""A gunicorn worker that answers gunicorn's own errors in the API's error shape.

gunicorn refuses some requests before the application sees them: a request line over
``limit_request_line`` (4094 bytes) is a 414, too many or too large headers a 431, a
request that is not HTTP a 400. It writes those answers as HTML through one function,
``gunicorn.util.write_error``; this worker replaces that function in its own process so
they are ``{"code", "detail"}`` JSON like every other error. gunicorn still decides the
status and logs the refusal. Django is not imported here: the master loads this class.
"""

import json
import socket
from typing import Any

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.http.body import LengthReader
from gunicorn.workers.sync import SyncWorker

GUNICORN_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is not valid HTTP."),
    403: ("forbidden", "The request was refused."),
    414: ("uri_too_long", "The request line is longer than the server accepts (4094 bytes)."),
    417: ("expectation_failed", "The Expect header names something the server does not do."),
    431: ("headers_too_large", "The request headers are more or larger than the server accepts."),
    501: ("not_implemented", "The request uses a transfer coding the server does not support."),
}
SERVER_ERROR = ("server_error", "The server could not complete the request. Nothing was changed.")


def json_error_response(status: int, reason: str) -> bytes:
    """A whole HTTP/1.1 response carrying the error body for ``status``; the connection closes."""
    code, detail = GUNICORN_ERRORS.get(status, SERVER_ERROR)
    body = json.dumps({"code": code, "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error``'s signature; ``mesg`` may quote the request: left out."""
    util.write_nonblock(sock, json_error_response(status_int, reason))


def request_read_whole(request: Any) -> bool:
    """Whether the request's body (of a stated length, or none) was read to its end."""
    reader = getattr(getattr(request, "body", None), "reader", None)
    return isinstance(reader, LengthReader) and reader.length == 0


def nothing_unread(sock: socket.socket) -> bool:
    """No byte from the client waits in the socket (the kernel would answer a close with RST)."""
    try:
        sock.setblocking(False)
        return not sock.recv(1, socket.MSG_PEEK)  # b"": the client closed already
    except BlockingIOError:
        return True
    except OSError:
        return False


class _HeldBytes:
    """Stands in for the socket while gunicorn writes a response's headers: keeps them."""

    def __init__(self) -> None:
        self.data = b""

    def sendall(self, data: bytes) -> None:
        self.data += data


class OneWriteResponse(wsgi.Response):  # type: ignore[misc]
    """gunicorn's response, sending its headers together with the first body bytes.

    gunicorn sends the headers, then the body: two sends, and a worker killed between them
    leaves the client (or haproxy, which then cannot retry) holding headers and a short
    body. One send hands the kernel the whole answer of an API response, which it delivers
    even if the worker dies next, and saves a send and the client a receive per response.
    """

    sock: Any
    held = b""

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        headers = _HeldBytes()
        sock, self.sock = self.sock, headers
        try:
            super().send_headers()
        finally:
            self.sock = sock
        self.held = headers.data

    def _headers_release(self) -> None:
        held, self.held = self.held, b""
        if held:
            self.sock.sendall(held)

    def _emit_body(self, data: bytes) -> None:
        if self.held and not self.chunked:
            held, self.held = self.held, b""
            self.sock.sendall(held + data)
            return
        self._headers_release()
        super()._emit_body(data)

    def sendfile(self, respiter: Any) -> bool:
        self.send_headers()
        self._headers_release()
        return bool(super().sendfile(respiter))

    def close(self) -> None:
        self.send_headers()
        self._headers_release()
        super().close()


class JsonErrorWorker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, writing its own errors as JSON (see the module docstring),
    and each response's headers with its body in one send (``OneWriteResponse``).

    It also closes a connection at once when the request was read to its end and nothing
    else arrived: gunicorn's ``close_graceful`` then waits for the client to close first,
    so that unread bytes cannot turn the close into a reset that loses the response; with
    nothing unread there is no reset to avoid, and the wait kept a push worker idle for
    8.7% of its time. Anything else still gets the graceful close.
    """

    read_whole = False

    def init_process(self) -> Any:
        util.write_error = write_json_error
        wsgi.Response = OneWriteResponse  # what wsgi.create builds for each request
        graceful = util.close_graceful

        def close(sock: socket.socket, *args: Any, **kwargs: Any) -> None:
            if self.read_whole and nothing_unread(sock):
                util.close(sock)
            else:
                graceful(sock, *args, **kwargs)

        util.close_graceful = close
        return super().init_process()

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        self.read_whole = False
        super().handle(listener, client, addr)

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> None:
        try:
            super().handle_request(listener, req, client, addr)
        finally:
            self.read_whole = request_read_whole(req)

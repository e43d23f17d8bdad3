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


class JsonErrorWorker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, writing its own errors as JSON (see the module docstring)."""

    def init_process(self) -> Any:
        util.write_error = write_json_error
        return super().init_process()

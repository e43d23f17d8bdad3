"""Call the WSGI application gunicorn serves, with a hand-built environ.

Django's test client builds the request itself and so skips ``reflective.wsgi``'s own
checks; tests of what reaches the server from the network call the application here.
"""

import io
import json
from dataclasses import dataclass
from typing import Any
from wsgiref.util import setup_testing_defaults

from reflective.wsgi import application


@dataclass(frozen=True)
class WsgiAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def wsgi_call(
    method: str,
    target: str,
    *,
    body: bytes = b"",
    content_type: str = "",
    headers: dict[str, str] | None = None,
) -> WsgiAnswer:
    """``headers`` are environ keys (``HTTP_AUTHORIZATION``); ``target`` may carry a query."""
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **(headers or {}),
    }
    setup_testing_defaults(environ)
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> Any:
        started.update(status=int(status.split()[0]), headers=dict(response_headers))

    result = application(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return WsgiAnswer(started["status"], started["headers"], content)

"""Retries and errors of the HTTP layer, against a real local HTTP server."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from reflective_client.api import ApiSession, ServerError


class ScriptedServer:
    """Answers each request with the next (status, body) of a script; records the paths."""

    def __init__(self, script: list[tuple[int, dict[str, object]]]) -> None:
        self.script = list(script)
        self.seen: list[tuple[str, str, str | None]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                owner.seen.append((self.command, self.path, self.headers.get("Authorization")))
                status, body = owner.script.pop(0)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 (http.server's names)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer([])
    yield scripted
    scripted.httpd.shutdown()
    scripted.httpd.server_close()


def session_for(server: ScriptedServer) -> ApiSession:
    api = ApiSession(server.url, backoff=0.0, retries=3)
    api.access_token = "access-1"
    return api


def test_busy_server_answers_are_retried_until_success(server):
    server.script = [(503, {"code": "database_unavailable"}), (429, {}), (200, {"ok": True})]
    assert session_for(server).call("POST", "/api/encryption/metrics", json={}) == {"ok": True}
    assert len(server.seen) == 3


def test_a_server_error_is_not_retried_and_carries_the_code(server):
    server.script = [(500, {"code": "server_error", "detail": "Nothing was changed."})]
    with pytest.raises(ServerError) as raised:
        session_for(server).call("POST", "/api/sync/backup", json={}, idempotent=True)
    assert (raised.value.status, raised.value.code) == (500, "server_error")
    assert len(server.seen) == 1


def test_retries_stop_after_the_last_attempt(server):
    server.script = [(503, {"code": "database_unavailable"})] * 4
    with pytest.raises(ServerError) as raised:
        session_for(server).call("GET", "/api/sync/state")
    assert raised.value.status == 503
    assert len(server.seen) == 4


def test_an_expired_access_token_is_refreshed_once(server):
    server.script = [
        (401, {"code": "not_authenticated"}),
        (200, {"access_token": "access-2", "refresh_token": "refresh-2"}),
        (200, {"cursor": "c"}),
    ]
    rotated: list[str] = []
    api = session_for(server)
    api.refresh_token = "refresh-1"
    api.on_refresh = rotated.append
    assert api.call("GET", "/api/sync/state") == {"cursor": "c"}
    assert [path for _, path, _ in server.seen] == [
        "/api/sync/state",
        "/api/auth/token/refresh",
        "/api/sync/state",
    ]
    assert server.seen[2][2] == "Bearer access-2"
    assert rotated == ["refresh-2"]


def test_refused_connection_is_retried_then_raised():
    api = ApiSession("http://127.0.0.1:9", backoff=0.0, retries=1, timeout=2)
    with pytest.raises(requests.ConnectionError):
        api.call("GET", "/api/health", authenticated=False)


def _deleted_conflict(number: int) -> dict[str, object]:
    version = {"deleted": True, "device_id": "phone", "updated_at": None}
    return {
        "id": f"conflict-{number}",
        "log_id": f"entry-{number}",
        "local_version": {**version, "base_revision": 1},
        "remote_version": {**version, "revision": 2},
        "detected_at": None,
    }


def test_the_journal_follows_conflict_pages_to_the_end(server):
    from reflective_client.keyfile import KeyMaterial
    from reflective_client.sync import Journal

    page = {"total_count": 3}
    server.script = [
        (
            200,
            page
            | {
                "conflicts": [_deleted_conflict(1), _deleted_conflict(2)],
                "has_more": True,
                "next_cursor": "after-2",
            },
        ),
        (200, page | {"conflicts": [_deleted_conflict(3)], "has_more": False, "next_cursor": None}),
    ]
    journal = Journal(session_for(server), KeyMaterial.generate("a@example.com"))
    assert [conflict.id for conflict in journal.conflicts()] == [
        "conflict-1",
        "conflict-2",
        "conflict-3",
    ]
    assert [path for _, path, _ in server.seen] == [
        "/api/sync/conflicts?limit=100",
        "/api/sync/conflicts?limit=100&cursor=after-2",
    ]

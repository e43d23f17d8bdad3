"""HTTP calls to a Reflective server: JSON in and out, tokens, retries, typed errors.

Retries: a request is retried (with exponential backoff, honouring ``Retry-After``) when
the server could not have applied it: the connection was refused, or the answer was 429,
502, 503 or 504. A request that timed out after being sent is retried only when the call
is idempotent; sync pushes are (a retried push with the same ciphertext is "unchanged"),
metric uploads are not.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

DEFAULT_SERVER_URL = "http://127.0.0.1:8000"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
JsonObject = dict[str, Any]


class ServerError(Exception):
    """A non-2xx answer, carrying the server's ``{"code", "detail", ...}`` body."""

    def __init__(self, status: int, body: JsonObject) -> None:
        self.status = status
        self.body = body
        self.code = str(body.get("code", "http_error"))
        self.detail = str(body.get("detail", ""))
        super().__init__(f"{status} {self.code}: {self.detail}")


class ApiSession:
    """One authenticated session with the server (the tokens of one login)."""

    def __init__(
        self,
        base_url: str = DEFAULT_SERVER_URL,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.25,
        on_refresh: Callable[[str], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.on_refresh = on_refresh
        self._http = requests.Session()

    # --- authentication ----------------------------------------------------------
    def register(self, email: str, password: str, **profile: Any) -> JsonObject:
        body = {"email": email, "password": password, **profile}
        return self.call("POST", "/api/auth/register", json=body, authenticated=False)

    def login(
        self,
        email: str,
        password: str,
        *,
        device_name: str = "",
        second_factor: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        """Log in; an account with a second factor answers ``mfa_required``, and then
        ``second_factor`` is asked for ``{"code"}`` or ``{"recovery_code"}``."""
        body = {"email": email, "password": password, "device_name": device_name}
        try:
            tokens = self.call("POST", "/api/auth/token", json=body, authenticated=False)
        except ServerError as error:
            if error.code != "mfa_required" or second_factor is None:
                raise
            answer = {"mfa_challenge": str(error.body["mfa_challenge"]), **second_factor()}
            tokens = self.call("POST", "/api/auth/token/mfa", json=answer, authenticated=False)
        self._store_tokens(tokens)

    def use_refresh_token(self, refresh_token: str) -> None:
        """Resume a stored login: the first call trades the refresh token for an access one."""
        self.refresh_token = refresh_token
        self.access_token = None

    def refresh(self) -> None:
        if not self.refresh_token:
            raise ServerError(401, {"code": "not_authenticated", "detail": "Log in first."})
        body = {"refresh_token": self.refresh_token}
        self._store_tokens(
            self.call("POST", "/api/auth/token/refresh", json=body, authenticated=False)
        )

    def logout(self) -> None:
        if self.refresh_token:
            self.call("POST", "/api/auth/logout", json={"refresh_token": self.refresh_token})
        self.access_token = self.refresh_token = None

    def _store_tokens(self, tokens: JsonObject) -> None:
        self.access_token = str(tokens["access_token"])
        self.refresh_token = str(tokens["refresh_token"])
        if self.on_refresh is not None:
            self.on_refresh(self.refresh_token)

    # --- requests ----------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        json: JsonObject | None = None,
        params: dict[str, str | int] | None = None,
        authenticated: bool = True,
        idempotent: bool | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> JsonObject:
        """Send one request and return its JSON body; raise ``ServerError`` on non-2xx.

        The body is ``json``, or ``content`` sent as is with its ``content_type``.
        """
        if authenticated and self.access_token is None and self.refresh_token:
            self.refresh()
        body = _Body(json, content, content_type)
        response = self._send(method, path, body, params, authenticated, idempotent)
        if response.status_code == 401 and authenticated and self.refresh_token:
            self.refresh()  # the access token expired: one refresh, then one more try
            response = self._send(method, path, body, params, authenticated, idempotent)
        return _json_or_raise(response)

    def _send(
        self,
        method: str,
        path: str,
        body: "_Body",
        params: dict[str, str | int] | None,
        authenticated: bool,
        idempotent: bool | None,
    ) -> requests.Response:
        safe_to_repeat = method != "POST" if idempotent is None else idempotent
        headers = {"Accept": "application/json"}
        if body.content_type:
            headers["Content-Type"] = body.content_type
        if authenticated and self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            last_attempt = attempt == self.retries
            try:
                response = self._http.request(
                    method,
                    url,
                    json=body.json,
                    data=body.content,
                    params=params,
                    headers=headers,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if last_attempt or not (safe_to_repeat or _never_sent(error)):
                    raise
                self._sleep(attempt, None)
                continue
            if response.status_code not in RETRY_STATUSES or last_attempt:
                return response
            self._sleep(attempt, response.headers.get("Retry-After"))
        raise AssertionError("unreachable: the loop returns or raises")

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2**attempt)
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        time.sleep(min(delay, 30.0))


@dataclass(frozen=True)
class _Body:
    json: JsonObject | None
    content: bytes | None
    content_type: str | None


def _never_sent(error: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _json_or_raise(response: requests.Response) -> JsonObject:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {"code": "invalid_response", "detail": response.text[:200]}
    if not isinstance(body, dict):
        body = {"code": "invalid_response", "detail": "expected a JSON object"}
    if response.status_code >= 400:
        raise ServerError(response.status_code, body)
    return body

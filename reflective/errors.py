"""The one error type of the API and the one handler that renders every error.

Every error a client sees is ``{"code": "<snake_case>", "detail": "<text>", "fields"?: {...}}``
with a fitting status. Exception text, SQL and stack traces never reach a client: an
unexpected exception is logged server-side (type and route only) and answered with a
generic 500 body.
"""

import logging
import sys
import traceback
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger("reflective.errors")


class ApiError(Exception):
    """An error meant for the client: a stable ``code``, a human ``detail``, a status."""

    status = 400

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        if status is not None:
            self.status = status
        self.fields = fields
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"code": self.code, "detail": self.detail}
        if self.fields:
            payload["fields"] = self.fields
        payload.update(self.extra)
        return payload


class Messages:
    """Error texts shared by the code that raises them and the tests that check them."""

    NOT_FOUND = "Not found."
    SERVER_ERROR = "The server could not complete the request. Nothing was changed."
    DATABASE_UNAVAILABLE = "The database is unavailable. Try again shortly."
    DATABASE_TIMEOUT = (
        "The request took longer than the database allows and was cancelled. Try again shortly."
    )
    INVALID_INPUT = "Some fields are invalid."
    BAD_REQUEST = "The request was refused before it reached the API (for example its Host)."
    MALFORMED_BODY = "The request body is not valid JSON or form data."
    JSON_TOO_DEEP = "The JSON nests arrays and objects deeper than {limit} levels."
    UNSUPPORTED_MEDIA = "Send the body as application/json."
    UNSUPPORTED_CHARSET = "The Content-Type names a charset that is not a text encoding."
    BODY_TOO_LARGE = "The request body is larger than this endpoint accepts ({limit} bytes)."
    LENGTH_REQUIRED = "Send the body with a Content-Length header; chunked bodies are not accepted."
    THROTTLED = "Too many requests. Try again in {wait} seconds."
    NOT_AUTHENTICATED = "Authentication credentials were not provided or are invalid."
    PERMISSION_DENIED = "You do not have permission to do this."
    METRICS_FORBIDDEN = "Metrics are for operators: send Authorization: Bearer <METRICS_TOKEN>."
    METHOD_NOT_ALLOWED = "Method {method} is not allowed here."


def _fields_from(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def _flatten(value: Any) -> Any:
    if isinstance(value, list):
        return [_flatten(item) for item in value]
    if isinstance(value, dict):
        return {key: _flatten(item) for key, item in value.items()}
    return str(value)


def _from_drf(exc: drf.APIException) -> ApiError:
    if isinstance(exc, drf.ValidationError):
        return ApiError("invalid", Messages.INVALID_INPUT, fields=_fields_from(exc.detail))
    if isinstance(exc, drf.ParseError):
        return ApiError("malformed_body", Messages.MALFORMED_BODY)
    if isinstance(exc, drf.UnsupportedMediaType):
        return ApiError("unsupported_media_type", Messages.UNSUPPORTED_MEDIA, status=415)
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return ApiError(
            "not_authenticated",
            Messages.NOT_AUTHENTICATED,
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    if isinstance(exc, drf.PermissionDenied):
        return ApiError("permission_denied", Messages.PERMISSION_DENIED, status=403)
    if isinstance(exc, drf.NotFound):
        return ApiError("not_found", Messages.NOT_FOUND, status=404)
    if isinstance(exc, drf.MethodNotAllowed):
        return ApiError("method_not_allowed", str(exc.detail), status=405)
    if isinstance(exc, drf.Throttled):
        wait = int(getattr(exc, "wait", None) or 1)
        return ApiError(
            "throttled",
            Messages.THROTTLED.format(wait=wait),
            status=429,
            headers={"Retry-After": str(wait)},
        )
    return ApiError(exc.default_code, str(exc.detail), status=exc.status_code)


def _frames(exc: Exception) -> list[str]:
    """Where an exception was raised, without its message: messages can quote user data."""
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return [f"{frame.filename}:{frame.lineno} {frame.name}" for frame in frames]


# SQLSTATE query_canceled: PostgreSQL's statement_timeout ended the statement.
QUERY_CANCELED = "57014"
RETRY_AFTER_SECONDS = "5"


def _database_error(exc: OperationalError | InterfaceError, route: str) -> ApiError:
    """503 for both, so clients retry; a timeout is named apart from an outage for operators."""
    timed_out = getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED
    code, message = (
        ("database_timeout", Messages.DATABASE_TIMEOUT)
        if timed_out
        else ("database_unavailable", Messages.DATABASE_UNAVAILABLE)
    )
    logger.warning(code.replace("_", " "), extra={"route": route, "error": type(exc).__name__})
    return ApiError(code, message, status=503, headers={"Retry-After": RETRY_AFTER_SECONDS})


def _as_api_error(exc: Exception, route: str) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, drf.APIException):
        return _from_drf(exc)
    if isinstance(exc, Http404):
        return ApiError("not_found", Messages.NOT_FOUND, status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return ApiError("permission_denied", Messages.PERMISSION_DENIED, status=403)
    if isinstance(exc, OperationalError | InterfaceError):
        return _database_error(exc, route)
    logger.error(
        "unhandled error",
        extra={"route": route, "error": type(exc).__name__, "where": _frames(exc)},
    )
    return ApiError("server_error", Messages.SERVER_ERROR, status=500)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: render any exception as the one error shape."""
    request = context.get("request")
    route = getattr(getattr(request, "resolver_match", None), "route", "") or ""
    error = _as_api_error(exc, route)
    # Imported here: rest_framework.views imports the authentication classes, which use this module.
    from rest_framework.views import set_rollback

    set_rollback()
    return Response(error.body(), status=error.status, headers=error.headers)


def error_response(error: ApiError) -> JsonResponse:
    """Render an ApiError outside DRF (middleware, Django's handler404/500)."""
    response = JsonResponse(error.body(), status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's handler400: a request Django refuses itself (a Host not allowed, for one)."""
    return error_response(ApiError("bad_request", Messages.BAD_REQUEST))


def json_permission_denied(
    request: HttpRequest, exception: Exception | None = None
) -> JsonResponse:
    return error_response(ApiError("permission_denied", Messages.PERMISSION_DENIED, status=403))


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(ApiError("not_found", Messages.NOT_FOUND, status=404))


def json_server_error(request: HttpRequest) -> JsonResponse:
    """Django's handler500, for views outside DRF (the admin): a database outage is a 503 too."""
    exc = sys.exc_info()[1]  # Django calls handler500 while handling the exception
    if isinstance(exc, OperationalError | InterfaceError):
        return error_response(_database_error(exc, request.path))
    return error_response(ApiError("server_error", Messages.SERVER_ERROR, status=500))

"""Refuse request bodies over the size limit before anything reads them (413, JSON).

The limit is checked against Content-Length. A chunked body has none, and Django reads a
body without one as empty, so it is refused (411) rather than silently dropped.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from reflective.errors import ApiError, Messages, error_response

LARGE_BODY_PATHS = ("/api/encryption/metrics",)


def body_limit_for(path: str) -> int:
    if path.rstrip("/") in LARGE_BODY_PATHS:
        return int(settings.METRICS_BODY_MAX_BYTES)
    return int(settings.REQUEST_BODY_MAX_BYTES)


def _too_large(limit: int) -> ApiError:
    return ApiError(
        "body_too_large",
        Messages.BODY_TOO_LARGE.format(limit=limit),
        status=413,
        extra={"limit": limit},
    )


def _body_refusal(request: HttpRequest) -> ApiError | None:
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return ApiError("length_required", Messages.LENGTH_REQUIRED, status=411)
    limit = body_limit_for(request.path)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return _too_large(limit) if length > limit else None


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = _body_refusal(request)
        if refusal is not None:
            return error_response(refusal)
        return self.get_response(request)

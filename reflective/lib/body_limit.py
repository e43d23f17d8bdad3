"""Refuse request bodies over the size limit before anything reads them (413, JSON)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from reflective.errors import ApiError, Messages, error_response

LARGE_BODY_PATHS = ("/api/encryption/metrics",)


def body_limit_for(path: str) -> int:
    if path.rstrip("/") in LARGE_BODY_PATHS:
        return int(settings.METRICS_BODY_MAX_BYTES)
    return int(settings.REQUEST_BODY_MAX_BYTES)


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit_for(request.path)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return error_response(
                ApiError(
                    "body_too_large",
                    Messages.BODY_TOO_LARGE.format(limit=limit),
                    status=413,
                    extra={"limit": limit},
                )
            )
        return self.get_response(request)

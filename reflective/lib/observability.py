"""Access log lines and Prometheus metrics for every request.

The access line holds method, route pattern, status, duration and user id: never a body,
header, query string, token or password. Routes are the URL patterns (``sync/backup/<id>``),
so ids chosen by clients do not appear in logs or metric labels either.

Every label value comes from a fixed set, so no client can add series: methods outside
HTTP's usual seven are ``other``, and a path that matches no URL pattern is ``unmatched``
(or ``static`` under STATIC_URL, which WhiteNoise answers before any URL is resolved).
"""

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

access_logger = logging.getLogger("reflective.access")

REQUESTS = Counter("reflective_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "reflective_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DB_TIME = Histogram(
    "reflective_db_query_duration_seconds_per_request",
    "Database time spent by one request",
    ["route"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
FAILED_LOGINS = Counter("reflective_failed_logins_total", "Failed login attempts")

_STANDARD_RECORD_KEYS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_KEYS:
                line[key] = value
        return json.dumps(line, default=str)


class _QueryTimer:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


@contextmanager
def _timed_queries() -> Iterator[_QueryTimer]:
    timer = _QueryTimer()
    with connection.execute_wrapper(timer):
        yield timer


METHOD_LABELS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(request: HttpRequest) -> str:
    method = request.method or ""
    return method if method in METHOD_LABELS else "other"


def route_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return str(match.route)
    return "static" if request.path.startswith(settings.STATIC_URL) else "unmatched"


def _user_id_of(request: HttpRequest) -> str | None:
    # DRF authenticates inside the view and stores its user on the Django request.
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    return None


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        with _timed_queries() as timer:
            response = self.get_response(request)
        duration = time.perf_counter() - started
        method, route = method_label(request), route_label(request)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        LATENCY.labels(method, route).observe(duration)
        DB_TIME.labels(route).observe(timer.seconds)
        access_logger.info(
            "request",
            extra={
                "method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
                "db_ms": round(timer.seconds * 1000, 2),
                "user_id": _user_id_of(request),
            },
        )
        return response

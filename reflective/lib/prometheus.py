"""The /metrics endpoint: the registry to expose, and who may read it.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` is set (see gunicorn.conf.py) and every worker
writes its samples there, so ``/metrics`` reports the whole server, not one worker.

Metrics are for operators (see METRICS_TOKEN in settings): the request counts per route tell
a stranger how the service is used, and every scrape costs a read of every worker's file.
"""

import hmac
import os
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from reflective.errors import ApiError, Messages, error_response


def metrics_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def _is_loopback(address: str) -> bool:
    try:
        return ip_address(address).is_loopback
    except ValueError:
        return False


def metrics_reader_allowed(request: HttpRequest) -> bool:
    """The operator's bearer token when one is set; else this machine, in development only."""
    token: str = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    allow_loopback: bool = settings.METRICS_LOOPBACK_WITHOUT_TOKEN
    return allow_loopback and _is_loopback(request.META.get("REMOTE_ADDR", ""))


def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_reader_allowed(request):
        return error_response(ApiError("metrics_forbidden", Messages.METRICS_FORBIDDEN, status=403))
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)

"""Liveness and readiness."""

import logging

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from analytics.formats.ckks import DEFAULT_POLY_MODULUS_DEGREE, parameters_context
from reflective.lib.db.probes import database_answers

logger = logging.getLogger("reflective.health")

_HEALTH = inline_serializer("Health", {"status": serializers.CharField()})
_READY = inline_serializer(
    "Readiness", {"status": serializers.CharField(), "checks": serializers.DictField()}
)


@extend_schema(responses=_HEALTH, summary="Liveness: the process answers.")
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def health(request: Request) -> Response:
    return Response({"status": "ok"})


def _database_ok() -> bool:
    try:
        return database_answers()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        logger.warning("readiness: database", extra={"error": type(exc).__name__})
        return False


def _tenseal_ok() -> bool:
    try:
        return bool(parameters_context(DEFAULT_POLY_MODULUS_DEGREE).is_public())
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        logger.warning("readiness: tenseal", extra={"error": type(exc).__name__})
        return False


@extend_schema(
    responses={200: _READY, 503: _READY},
    summary="Readiness: database round trip and the cached keyless CKKS context.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def ready(request: Request) -> Response:
    checks = {"database": _database_ok(), "tenseal": _tenseal_ok()}
    healthy = all(checks.values())
    return Response(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )

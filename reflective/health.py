"""Liveness and readiness."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from reflective.lib.db.probes import database_answers
from reflective.lib.readiness import readiness_results, run_check

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


@extend_schema(
    responses={200: _READY, 503: _READY},
    summary="Readiness: database round trip and the cached keyless CKKS context.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def ready(request: Request) -> Response:
    # The apps' own checks (analytics registers "tenseal") follow the database's.
    checks = {"database": run_check("database", database_answers), **readiness_results()}
    healthy = all(checks.values())
    return Response(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )

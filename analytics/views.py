"""Thin views of the analytics API: parse, call one service or selector, shape the answer."""

from typing import Any
from zoneinfo import ZoneInfo

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import request_user
from accounts.permissions import AnalyticsSyncTier
from analytics import selectors
from analytics.aggregation.cache import Aggregate
from analytics.aggregation.cover import Bucket
from analytics.aggregation.query import metrics_aggregate
from analytics.compression import compressed_when_accepted
from analytics.parsers import ChunkedJSONParser, MetricFramesParser
from analytics.periods import Level
from analytics.serializers import (
    AggregateRequestSerializer,
    AggregateResultSerializer,
    DeletedMetricsSerializer,
    EncryptionPolicySerializer,
    KeyEpochSerializer,
    MetricsDeleteQuerySerializer,
    MetricsStoredSerializer,
    MetricsUploadSchemaSerializer,
    MetricsUploadSerializer,
    MetricsWipedSerializer,
    PublicContextUploadSerializer,
)
from analytics.services.deletion import metrics_delete, metrics_delete_all
from analytics.services.keys import public_context_rekey
from analytics.services.uploads import metrics_upload
from analytics.upload_items import metric_uploads_parse
from reflective.lib.b64 import b64encode
from reflective.lib.fields import validated_input
from reflective.lib.replicas import ReplicaReadsMixin

POLICY_CACHE_SECONDS = 3600


UPLOAD_FORMATS = (
    'Two request shapes carry the same fields. JSON: {"metrics": [item, ...]}, each '
    "ciphertext as base64. Binary (Content-Type: application/octet-stream), base64-free: "
    "'RFM1', a big-endian uint32 count (1 to metrics_per_request), then per metric a "
    "big-endian uint16 header length (1 to 1024), a UTF-8 JSON header object {metric_type, "
    "timestamp, log_id?, key_id?}, a big-endian uint32 ciphertext length (up to "
    "ciphertext_max_bytes) and the raw ciphertext; nothing may follow. A frame whose lengths "
    "do not add up is a 400 invalid_frame naming the item's index."
)
BLOB_REFUSED = OpenApiResponse(description="a key or ciphertext refused; the body names why")


class EncryptionContextViewSet(viewsets.ViewSet):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses=EncryptionPolicySerializer,
        summary="The CKKS parameter policy. Public and static: generates no keys.",
    )
    def retrieve(self, request: Request) -> Response:
        response = Response(selectors.encryption_policy())
        response["Cache-Control"] = f"public, max-age={POLICY_CACHE_SECONDS}"
        return response


class PublicContextViewSet(viewsets.ViewSet):
    permission_classes = [AnalyticsSyncTier]

    @extend_schema(
        request=PublicContextUploadSerializer,
        responses={200: KeyEpochSerializer, 422: BLOB_REFUSED},
        summary="Re-key: upload a new public key (TenSEAL context or SEAL PublicKey); it becomes "
        "the current key epoch.",
    )
    def update(self, request: Request) -> Response:
        key_bytes = validated_input(PublicContextUploadSerializer, request.data)["he_public_key"]
        epoch = public_context_rekey(user=request_user(request), key_bytes=key_bytes)
        return Response(KeyEpochSerializer(epoch).data)


class MetricsViewSet(viewsets.ViewSet):
    # The tier is checked before the body (up to 64 MiB) is read, and again under the
    # user's lock when the batch is stored.
    permission_classes = [AnalyticsSyncTier]
    parser_classes = [ChunkedJSONParser, MetricFramesParser]

    @extend_schema(
        request={
            "application/json": MetricsUploadSchemaSerializer,
            "application/octet-stream": OpenApiTypes.BINARY,
        },
        responses={
            201: MetricsStoredSerializer,
            400: OpenApiResponse(description="invalid input, or invalid_frame (binary upload)"),
            413: OpenApiResponse(description="body_too_large or too_many_metrics"),
            422: BLOB_REFUSED,
        },
        summary="Upload encrypted metrics (atomic; a bad one is a 422 naming its index).",
        description=UPLOAD_FORMATS,
    )
    def create(self, request: Request) -> Response:
        items = validated_input(MetricsUploadSerializer, request.data)["metrics"]
        # Parsing hands each ciphertext's text over as bytes and drops it, so the request
        # never holds both forms of a 48 MiB upload at once.
        stored = metrics_upload(user=request_user(request), metrics=metric_uploads_parse(items))
        body = {
            "success": True,
            "message": f"Stored {stored.count} encrypted metrics.",
            "details": {
                "count": stored.count,
                "replaced": stored.replaced,
                "key_ids": stored.key_ids,
            },
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("log_id", str, many=True, required=True),
            OpenApiParameter("metric_type", str, required=False),
        ],
        responses={200: DeletedMetricsSerializer},
        summary="Delete the metrics of some journal entries (every key epoch).",
    )
    def destroy(self, request: Request) -> Response:
        query: dict[str, Any] = {"log_id": request.query_params.getlist("log_id")}
        if "metric_type" in request.query_params:
            query["metric_type"] = request.query_params["metric_type"]
        params = validated_input(MetricsDeleteQuerySerializer, query)
        deleted = metrics_delete(
            user=request_user(request),
            log_ids=params["log_id"],
            metric_type=params.get("metric_type"),
        )
        return Response({"deleted_metrics": deleted})


class MetricsAllViewSet(viewsets.ViewSet):
    """Every metric at once; open to any tier, so an account that left analytics can clean up."""

    @extend_schema(
        responses={200: MetricsWipedSerializer},
        summary="Delete every encrypted metric and rollup (key epochs stay).",
    )
    def destroy(self, request: Request) -> Response:
        counts = metrics_delete_all(user=request_user(request))
        total = counts["deleted_metrics"]
        return Response({"message": f"Deleted {total} encrypted metrics.", **counts})


def _bucket_view(bucket: Bucket, zone_name: str) -> dict[str, Any]:
    assert bucket.period is not None
    zone = ZoneInfo(zone_name)
    start, end = bucket.period.bounds(zone)
    return {
        "start": start.astimezone(zone).isoformat(),
        "end": end.astimezone(zone).isoformat(),
        "count": bucket.count,
        "encrypted_result": b64encode(bucket.encrypted_result),
    }


def _aggregate_view(result: Aggregate, bucket: Level | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "metric_type": result.metric_type,
        "operation": result.operation.value,
        "count": result.count,
        "key_id": result.key_id,
        "encrypted_result": b64encode(result.encrypted_result),
    }
    if result.buckets is not None:
        body["bucket"] = bucket.value if bucket is not None else None
        body["timezone"] = result.timezone
        body["buckets"] = [_bucket_view(b, result.timezone) for b in result.buckets]
    return body


class AggregateViewSet(ReplicaReadsMixin, viewsets.ViewSet):
    @extend_schema(
        request=AggregateRequestSerializer,
        responses={
            200: AggregateResultSerializer,
            404: OpenApiResponse(description="no_metrics: nothing stored matches the query"),
            422: OpenApiResponse(
                description=(
                    "no_key, an unusable stored ciphertext, or a query over a per-request "
                    "bound (too_many_buckets, aggregate_too_costly, aggregate_result_too_large; "
                    "the body has limit and needed)"
                )
            ),
        },
        summary="Sum, average or count one metric type over time, optionally in local buckets.",
    )
    def create(self, request: Request) -> Response:
        user = request_user(request)
        query = validated_input(AggregateRequestSerializer, request.data)
        time_range = query.get("time_range") or {}
        bucket = query.get("bucket")
        result = metrics_aggregate(
            user=user,
            metric_type=query["metric_type"],
            operation=query["operation"],
            start=time_range.get("start"),
            end=time_range.get("end"),
            bucket=bucket,
            timezone=query.get("timezone"),
            key_id=query.get("key_id"),
        )
        accept_encoding = request.META.get("HTTP_ACCEPT_ENCODING", "")
        return compressed_when_accepted(Response(_aggregate_view(result, bucket)), accept_encoding)

"""Reads of the analytics app: key epochs, the published policy, export and stats."""

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Sum

from accounts.models import User
from analytics.formats import ckks
from analytics.models import EncryptedMetric, PublicContext
from reflective.lib.b64 import b64encode
from reflective.lib.db.ciphertexts import ciphertexts_by_id

EXPORT_CHUNK = 50


def current_key_id(*, user: User) -> str | None:
    """The key_id of the user's current key epoch, or None before any key was uploaded."""
    return (
        PublicContext.objects.filter(user_id=user.pk, is_current=True)
        .values_list("key_id", flat=True)
        .first()
    )


def _parameter_set_view(params: ckks.ParameterSet) -> dict[str, Any]:
    return {
        "scheme": "CKKS",
        "poly_modulus_degree": params.poly_modulus_degree,
        "coeff_mod_bit_sizes": params.coeff_mod_bit_sizes,
        "scale": params.scale,
        "scale_bits": params.scale_bits,
        "slot_count": params.slot_count,
    }


def encryption_policy() -> dict[str, Any]:
    """What clients must use: parameter sets and limits. Generates no keys; costs nothing."""
    return {
        "scheme": "CKKS",
        "context_params": _parameter_set_view(ckks.parameter_set(ckks.DEFAULT_POLY_MODULUS_DEGREE)),
        "allowed_parameter_sets": [_parameter_set_view(p) for p in ckks.allowed_parameter_sets()],
        # The earlier server sent a context here; clients must make their own keys.
        "serialized_context": None,
        "limits": {
            "public_key_max_bytes": settings.HE_PUBLIC_KEY_MAX_BYTES,
            "ciphertext_max_bytes": settings.HE_CIPHERTEXT_MAX_BYTES,
            "metrics_per_request": settings.METRICS_MAX_PER_REQUEST,
            "metrics_body_max_bytes": settings.METRICS_BODY_MAX_BYTES,
            "aggregate_max_buckets": settings.AGGREGATE_MAX_BUCKETS,
        },
    }


def key_epochs_export(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    """Every key epoch of the user, public context bytes included (base64)."""
    for epoch in PublicContext.objects.filter(user_id=user.pk).order_by("created_at", "id"):
        yield {
            "key_id": epoch.key_id,
            "format": epoch.format,
            "seal_version": epoch.seal_version,
            "poly_modulus_degree": epoch.poly_modulus_degree,
            "created_at": epoch.created_at.isoformat(),
            "is_current": epoch.is_current,
            "he_public_key": b64encode(epoch.context_bytes),
        }


def metrics_export(user: AbstractBaseUser) -> Iterator[dict[str, Any]]:
    """Every stored metric of the user, ciphertext as uploaded (base64), a chunk at a time."""
    rows = (
        EncryptedMetric.objects.filter(user_id=user.pk)
        .order_by("id")
        .values_list("id", "series__metric_type", "series__epoch__key_id", "timestamp", "log_id")
    )
    chunk: list[tuple[Any, ...]] = []
    for row in rows.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(row)
        if len(chunk) == EXPORT_CHUNK:
            yield from _export_chunk(chunk)
            chunk = []
    yield from _export_chunk(chunk)


def _export_chunk(rows: list[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
    blobs = dict(ciphertexts_by_id(EncryptedMetric, [row[0] for row in rows]))
    for metric_id, metric_type, key_id, timestamp, log_id in rows:
        yield {
            "metric_type": metric_type,
            "key_id": key_id,
            "timestamp": timestamp.isoformat(),
            "log_id": log_id,
            "encrypted_value": b64encode(blobs[metric_id]),
        }


def analytics_stats(user: AbstractBaseUser) -> dict[str, Any]:
    totals = EncryptedMetric.objects.filter(user_id=user.pk).aggregate(
        metric_count=Count("id"), metric_bytes=Sum("size_bytes")
    )
    return {
        "metric_count": totals["metric_count"],
        "metric_bytes": totals["metric_bytes"] or 0,
    }


def analytics_usage(user: AbstractBaseUser) -> dict[str, int]:
    return {
        "metrics": EncryptedMetric.objects.filter(user_id=user.pk).count(),
        "key_epochs": PublicContext.objects.filter(user_id=user.pk).count(),
    }


def metric_storage_bytes(user: AbstractBaseUser) -> int:
    total = EncryptedMetric.objects.filter(user_id=user.pk).aggregate(size=Sum("size_bytes"))
    return int(total["size"] or 0)

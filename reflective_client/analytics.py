"""Encrypted metrics: CKKS-encrypt locally, upload, aggregate on the server, decrypt here.

The server adds ciphertexts it cannot read and returns an encrypted result; only this
client, holding the secret key, turns it back into numbers.
"""

import json
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from reflective_client.api import ApiSession, JsonObject
from reflective_client.crypto import CkksKeys
from reflective_client.encoding import b64d, b64e
from reflective_client.textstats import sentiment_score, word_count

METRICS_PER_REQUEST = 500
# The server accepts at most 64 MiB on the metrics endpoint; stay well under it.
UPLOAD_BODY_BUDGET = 48 * 1024 * 1024
METRICS_PATH = "/api/encryption/metrics"
FRAME_MAGIC = b"RFM1"
FRAME_CONTENT_TYPE = "application/octet-stream"
Item = TypeVar("Item")


class KeyMismatchError(Exception):
    """The server aggregated under a key epoch this client does not hold."""


@dataclass(frozen=True)
class MetricPoint:
    metric_type: str
    values: Sequence[float]
    timestamp: datetime
    log_id: str | None = None  # the entry it describes: a later upload for it replaces it


@dataclass(frozen=True)
class Bucket:
    start: str
    end: str
    count: int
    values: list[float]


@dataclass(frozen=True)
class Aggregate:
    metric_type: str
    operation: str
    count: int
    key_id: str | None
    values: list[float] | None
    buckets: list[Bucket]


def entry_metrics(text: str, timestamp: datetime, log_id: str | None = None) -> list[MetricPoint]:
    """The two metrics Reflective clients record per entry."""
    return [
        MetricPoint("word_count", [float(word_count(text))], timestamp, log_id),
        MetricPoint("sentiment_score", [sentiment_score(text)], timestamp, log_id),
    ]


def encrypt_points_raw(
    keys: CkksKeys, points: Iterable[MetricPoint]
) -> list[tuple[JsonObject, bytes]]:
    """Each point as (its fields but the value, its ciphertext)."""
    return [
        (
            {
                "metric_type": point.metric_type,
                "timestamp": point.timestamp.isoformat(),
                "key_id": keys.key_id,
            }
            | ({"log_id": point.log_id} if point.log_id else {}),
            keys.encrypt(point.values),
        )
        for point in points
    ]


def encrypt_points(keys: CkksKeys, points: Iterable[MetricPoint]) -> list[JsonObject]:
    """Each point as an item of the JSON upload (ciphertext in base64)."""
    return [
        fields | {"encrypted_value": b64e(blob)}
        for fields, blob in encrypt_points_raw(keys, points)
    ]


def metrics_frame(items: Sequence[tuple[JsonObject, bytes]]) -> bytes:
    """The binary upload's body: 'RFM1', a uint32 count, then per metric a uint16 header
    length, a JSON header of its fields, a uint32 ciphertext length and the ciphertext
    (big-endian; docs/ANALYTICS.md, "Binary upload")."""
    parts = [FRAME_MAGIC, struct.pack(">I", len(items))]
    for fields, blob in items:
        header = json.dumps(fields, separators=(",", ":")).encode()
        parts += [struct.pack(">H", len(header)), header, struct.pack(">I", len(blob)), blob]
    return b"".join(parts)


def upload_batches(items: Sequence[Item], size_of: Callable[[Item], int]) -> Iterator[list[Item]]:
    """Split encrypted metrics into requests under the server's count and size limits."""
    batch: list[Item] = []
    size = 0
    for item in items:
        item_size = size_of(item) + 200
        if batch and (len(batch) == METRICS_PER_REQUEST or size + item_size > UPLOAD_BODY_BUDGET):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch


class Insights:
    def __init__(self, api: ApiSession, keys: CkksKeys) -> None:
        self.api = api
        self.keys = keys

    def upload(self, points: Iterable[MetricPoint], *, binary: bool = True) -> int:
        """Encrypt and upload; each request is atomic on the server. Returns the count sent.

        The binary upload (default) sends ciphertexts as raw bytes: a quarter smaller than
        base64 in JSON, and no JSON to build for megabytes of ciphertext.
        """
        if not binary:
            return self._upload_json(encrypt_points(self.keys, points))
        sent = 0
        raw = encrypt_points_raw(self.keys, points)
        for batch in upload_batches(raw, lambda item: len(item[1])):
            body = metrics_frame(batch)
            self.api.call("POST", METRICS_PATH, content=body, content_type=FRAME_CONTENT_TYPE)
            sent += len(batch)
        return sent

    def _upload_json(self, items: list[JsonObject]) -> int:
        sent = 0
        for batch in upload_batches(items, lambda item: len(item["encrypted_value"])):
            self.api.call("POST", METRICS_PATH, json={"metrics": batch})
            sent += len(batch)
        return sent

    def aggregate(
        self,
        metric_type: str,
        operation: str = "sum",
        *,
        bucket: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        timezone: str | None = None,
    ) -> Aggregate:
        body: dict[str, Any] = {"metric_type": metric_type, "operation": operation}
        if start or end:
            body["time_range"] = {
                key: value.isoformat() for key, value in (("start", start), ("end", end)) if value
            }
        if bucket:
            body["bucket"] = bucket
        if timezone:
            body["timezone"] = timezone
        # Aggregation only reads: safe to repeat after a timeout.
        result = self.api.call("POST", "/api/encryption/aggregate", json=body, idempotent=True)
        return self._decrypt(result)

    def _decrypt(self, result: JsonObject) -> Aggregate:
        key_id = result.get("key_id")
        if key_id is not None and key_id != self.keys.key_id:
            raise KeyMismatchError(f"the result is under key {key_id}, this client holds another")
        encrypted = result.get("encrypted_result")
        return Aggregate(
            metric_type=str(result["metric_type"]),
            operation=str(result["operation"]),
            count=int(result.get("count", 0)),
            key_id=key_id,
            values=self.keys.decrypt(b64d(encrypted)) if encrypted else None,
            buckets=[
                Bucket(
                    start=str(item["start"]),
                    end=str(item["end"]),
                    count=int(item["count"]),
                    values=self.keys.decrypt(b64d(item["encrypted_result"])),
                )
                for item in result.get("buckets") or []
            ],
        )

    def delete_all(self) -> JsonObject:
        return self.api.call("DELETE", "/api/sync/metrics/all")

    def rekey(self, keys: CkksKeys) -> JsonObject:
        """Start a new key epoch: later aggregates use only metrics under ``keys``."""
        body = {"he_public_key": b64e(keys.public_context)}
        result = self.api.call("PUT", "/api/encryption/public-context", json=body)
        self.keys = keys
        return result

"""The binary (framed application/octet-stream) upload: same fields, checks and answers as JSON."""

import json
import struct

import pytest

from analytics.frames import FRAME_HEADER_MAX_BYTES
from analytics.models import EncryptedMetric, MetricRollup
from reflective_client.analytics import metrics_frame

pytestmark = pytest.mark.django_db

URL = "/api/encryption/metrics"
OCTETS = "application/octet-stream"


def post_frame(client, body: bytes):
    return client.generic("POST", URL, body, content_type=OCTETS)


def fields(timestamp: str, **extra: object) -> dict[str, object]:
    return {"metric_type": "word_count", "timestamp": timestamp, **extra}


def test_a_framed_batch_is_stored_exactly_as_uploaded(keyed_alice, api_alice, keys):
    blob = keys.encrypt([120.0])
    body = metrics_frame([(fields("2024-05-01T08:30:00+02:00", log_id="entry-1"), blob)])

    response = post_frame(api_alice, body)

    assert response.status_code == 201
    assert response.json()["details"]["count"] == 1
    stored = EncryptedMetric.objects.get(user=keyed_alice)
    assert bytes(stored.ciphertext) == blob
    assert stored.timestamp.isoformat() == "2024-05-01T06:30:00+00:00"
    assert stored.log_id == "entry-1"


def test_framed_and_json_uploads_build_the_same_rollups(keyed_alice, api_alice, keys):
    days = [f"2024-03-{d:02d}T12:00:00Z" for d in (1, 1, 2, 9)]
    body = metrics_frame([(fields(ts), keys.encrypt([float(n)])) for n, ts in enumerate(days)])

    assert post_frame(api_alice, body).status_code == 201

    year = MetricRollup.objects.get(user=keyed_alice, level="year")
    assert year.count == 4
    assert keys.decrypt(bytes(year.ciphertext))[0] == pytest.approx(6.0, rel=1e-6)
    day = MetricRollup.objects.get(user=keyed_alice, level="day", period_start="2024-03-01")
    assert day.count == 2


def test_a_bad_field_in_a_header_is_the_json_shapes_422(keyed_alice, api_alice, keys):
    good = (fields("2024-05-01T08:30:00Z"), keys.encrypt([1.0]))
    naive = (fields("2024-05-01T08:30:00"), keys.encrypt([1.0]))

    response = post_frame(api_alice, metrics_frame([good, naive]))

    body = response.json()
    assert (response.status_code, body["code"], body["index"]) == (422, "invalid_metric", 1)
    assert set(body["fields"]["metrics"]["1"]) == {"timestamp"}
    assert not EncryptedMetric.objects.exists()


def test_a_broken_ciphertext_is_a_422_naming_its_index(keyed_alice, api_alice, keys):
    items = [(fields("2024-05-01T08:30:00Z"), keys.encrypt([1.0]))] * 2
    items.append((fields("2024-05-02T08:30:00Z"), b"\x00" * 64))

    body = post_frame(api_alice, metrics_frame(items)).json()

    assert (body["index"], body["code"]) == (2, "invalid_ciphertext")


# --- hostile frames: every refusal is a 4xx in the one error shape -------------------------


def _frame(keys, count: int = 1) -> bytes:
    blob = keys.encrypt([1.0])
    return metrics_frame([(fields(f"2024-05-01T08:{n:02d}:00Z"), blob) for n in range(count)])


def _refused(client, body: bytes) -> tuple[int, str, object]:
    response = post_frame(client, body)
    answer = response.json()
    assert set(answer) >= {"code", "detail"}
    assert not EncryptedMetric.objects.exists()
    return response.status_code, answer["code"], answer.get("index")


def test_a_frame_cut_anywhere_is_a_400(keyed_alice, api_alice, keys):
    whole = _frame(keys, 2)
    for cut in (3, 6, 9, 11, 60, len(whole) // 2, len(whole) - 1):
        assert _refused(api_alice, whole[:cut])[:2] == (400, "invalid_frame"), cut
    assert _refused(api_alice, b"")[:2] == (400, "invalid")  # no body: no metrics


def test_lengths_past_the_body_are_refused_before_reading(keyed_alice, api_alice, keys):
    header = json.dumps(fields("2024-05-01T08:00:00Z")).encode()
    lying_blob = b"RFM1" + struct.pack(">I", 1) + struct.pack(">H", len(header)) + header
    lying_blob += struct.pack(">I", 1_000_000) + b"x" * 10
    lying_header = b"RFM1" + struct.pack(">I", 1) + struct.pack(">H", 900) + b"{}"

    assert _refused(api_alice, lying_blob) == (400, "invalid_frame", 0)
    assert _refused(api_alice, lying_header) == (400, "invalid_frame", 0)


def test_a_count_past_the_items_sent_is_a_400(keyed_alice, api_alice, keys):
    one = _frame(keys, 1)
    claims_three = one[:4] + struct.pack(">I", 3) + one[8:]

    assert _refused(api_alice, claims_three) == (400, "invalid_frame", 1)


def test_too_many_items_is_a_413_before_any_is_read(keyed_alice, api_alice, settings):
    settings.METRICS_MAX_PER_REQUEST = 2
    body = b"RFM1" + struct.pack(">I", 2**32 - 1)

    status, code, _ = _refused(api_alice, body)

    assert (status, code) == (413, "too_many_metrics")


def test_an_oversized_ciphertext_is_a_422_before_it_is_read(keyed_alice, api_alice, settings):
    settings.HE_CIPHERTEXT_MAX_BYTES = 1000
    header = json.dumps(fields("2024-05-01T08:00:00Z")).encode()
    body = b"RFM1" + struct.pack(">I", 1) + struct.pack(">H", len(header)) + header
    body += struct.pack(">I", 1001) + bytes(1001)

    assert _refused(api_alice, body) == (422, "ciphertext_too_large", 0)


def test_an_oversized_or_empty_header_is_a_400(keyed_alice, api_alice, keys):
    for length in (0, FRAME_HEADER_MAX_BYTES + 1):
        body = b"RFM1" + struct.pack(">I", 1) + struct.pack(">H", length) + b" " * length
        assert _refused(api_alice, body) == (400, "invalid_frame", 0)


@pytest.mark.parametrize(
    "header",
    [b"\xff\xfe", b"[1, 2]", b"not json", b'{"encrypted_value": "AAAA"}', b'"text"'],
)
def test_a_header_that_is_not_a_json_object_of_fields_is_a_400(keyed_alice, api_alice, header):
    body = b"RFM1" + struct.pack(">I", 1) + struct.pack(">H", len(header)) + header
    body += struct.pack(">I", 3) + b"abc"

    assert _refused(api_alice, body) == (400, "invalid_frame", 0)


def test_bad_magic_trailing_bytes_and_an_empty_frame_are_refused(keyed_alice, api_alice, keys):
    good = _frame(keys)

    assert _refused(api_alice, b"RFM2" + good[4:])[:2] == (400, "invalid_frame")
    assert _refused(api_alice, good + b"\x00")[:2] == (400, "invalid_frame")
    assert _refused(api_alice, b"RFM1" + struct.pack(">I", 0))[:2] == (400, "invalid")


def test_an_unknown_header_field_is_refused_like_json(keyed_alice, api_alice, keys):
    item = (fields("2024-05-01T08:00:00Z", colour="red"), keys.encrypt([1.0]))

    assert _refused(api_alice, metrics_frame([item])) == (422, "invalid_metric", 0)


def test_anonymous_binary_uploads_are_401(anon, keys):
    assert post_frame(anon, _frame(keys)).status_code == 401

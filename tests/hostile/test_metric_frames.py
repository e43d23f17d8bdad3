"""Binary metric uploads cut, spliced and overwritten anywhere: never a 5xx, always the one
error shape, and nothing stored unless the whole frame was accepted."""

import json
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.models import EncryptedMetric
from analytics.services.deletion import metrics_delete_all
from analytics.services.keys import public_context_install
from analytics.tests.conftest import make_client_keys
from reflective_client.analytics import metrics_frame

pytestmark = pytest.mark.django_db

URL = "/api/encryption/metrics"
KEYS = make_client_keys()
FIELDS = [
    {"metric_type": "word_count", "timestamp": "2024-05-01T08:00:00Z", "log_id": "a"},
    {"metric_type": "word_count", "timestamp": "2024-05-02T08:00:00Z", "log_id": "b"},
]
FRAME = metrics_frame([(fields, KEYS.encrypt([1.0])) for fields in FIELDS])
# Magic and count, the first header's length and header, its ciphertext's length.
HEAD = 4 + 4 + 2 + len(json.dumps(FIELDS[0], separators=(",", ":"))) + 4


def _answer(client, body: bytes) -> tuple[int, dict[str, object]]:
    response = client.generic("POST", URL, body, content_type="application/octet-stream")
    return response.status_code, response.json()


def _mutations() -> st.SearchStrategy[bytes]:
    cut = st.integers(0, len(FRAME)).map(lambda n: FRAME[:n])
    overwrite = st.tuples(st.integers(0, HEAD + 64), st.binary(min_size=1, max_size=8)).map(
        lambda at: FRAME[: at[0]] + at[1] + FRAME[at[0] + len(at[1]) :]
    )
    lengths = st.tuples(st.sampled_from([4, HEAD - 4]), st.integers(0, 2**32 - 1)).map(
        lambda at: FRAME[: at[0]] + struct.pack(">I", at[1]) + FRAME[at[0] + 4 :]
    )
    appended = st.binary(min_size=1, max_size=64).map(lambda tail: FRAME + tail)
    return st.one_of(cut, overwrite, lengths, appended)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_mutations())
def test_a_mangled_frame_is_a_clean_4xx_or_stored_whole(alice, api_alice, body):
    if not alice.public_contexts.exists():
        public_context_install(user=alice, key_bytes=KEYS.public_bytes)
    metrics_delete_all(user=alice)

    status, answer = _answer(api_alice, body)

    assert status < 500, answer
    stored = EncryptedMetric.objects.filter(user=alice).count()
    if status == 201:
        assert stored == answer["details"]["count"]  # type: ignore[index]
    else:
        assert 400 <= status < 500
        assert {"code", "detail"} <= set(answer)
        assert stored == 0

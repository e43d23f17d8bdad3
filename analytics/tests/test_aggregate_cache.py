"""A repeated aggregate is answered from the cache, never stale, never another user's;
large answers are brotli-compressed for clients that accept it."""

import brotli  # type: ignore[import-untyped]
import orjson
import pytest

from analytics.aggregation.query import metrics_aggregate
from analytics.aggregation.sums import Operation
from analytics.compression import brotli_accepted
from analytics.services.deletion import metrics_delete
from analytics.services.keys import public_context_install
from analytics.services.rebuild import user_rollups_rebuild
from analytics.tests.conftest import metric_item

pytestmark = pytest.mark.django_db

METRICS = "/api/encryption/metrics"
AGGREGATE = "/api/encryption/aggregate"
YEAR = {"start": "2024-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}


def upload(client, keys, values, day=1, **extra):
    items = [
        metric_item(keys, [v], f"2024-02-{day + n:02d}T10:00:00Z", **extra)
        for n, v in enumerate(values)
    ]
    response = client.post(METRICS, {"metrics": items}, format="json")
    assert response.status_code == 201, response.json()


def total(client, keys, **query):
    body = {"metric_type": "word_count", "operation": "sum", "time_range": YEAR, **query}
    answer = client.post(AGGREGATE, body, format="json").json()
    return answer["count"], round(keys.decrypt(answer["encrypted_result"])[0], 3)


def _sum(user):
    return metrics_aggregate(user=user, metric_type="word_count", operation=Operation.SUM)


def test_a_repeated_aggregate_reads_no_ciphertext(keyed_alice, api_alice, keys):
    upload(api_alice, keys, [1.0, 2.0, 3.0])

    first, second = _sum(keyed_alice), _sum(keyed_alice)

    assert first.ciphertexts_read > 0
    assert second.ciphertexts_read == 0
    assert second.encrypted_result == first.encrypted_result


def test_a_write_between_two_identical_aggregates_changes_the_answer(keyed_alice, api_alice, keys):
    upload(api_alice, keys, [1.0, 2.0])
    assert total(api_alice, keys) == (2, 3.0)
    assert total(api_alice, keys) == (2, 3.0)

    upload(api_alice, keys, [10.0], day=20)

    assert total(api_alice, keys) == (3, 13.0)


def test_a_replacement_a_deletion_and_a_rebuild_each_change_the_answer(
    keyed_alice, api_alice, keys
):
    upload(api_alice, keys, [5.0], log_id="e1")
    upload(api_alice, keys, [7.0], day=3, log_id="e2")
    assert total(api_alice, keys) == (2, 12.0)

    upload(api_alice, keys, [100.0], log_id="e1")
    assert total(api_alice, keys) == (2, 107.0)

    metrics_delete(user=keyed_alice, log_ids=["e2"])
    assert total(api_alice, keys) == (1, 100.0)

    version = keyed_alice.metric_series.get().version
    user_rollups_rebuild(user=keyed_alice)
    assert keyed_alice.metric_series.get().version > version
    assert total(api_alice, keys) == (1, 100.0)


def test_a_rekey_and_a_wipe_change_the_answer(keyed_alice, api_alice, keys, other_keys):
    upload(api_alice, keys, [4.0])
    assert total(api_alice, keys) == (1, 4.0)

    public_context_install(user=keyed_alice, key_bytes=other_keys.public_bytes)
    assert api_alice.post(AGGREGATE, {"metric_type": "word_count", "operation": "sum"}).json()[
        "code"
    ] == ("no_metrics")
    upload(api_alice, other_keys, [9.0])
    assert total(api_alice, other_keys) == (1, 9.0)

    assert api_alice.delete("/api/sync/metrics/all").status_code == 200
    answer = api_alice.post(AGGREGATE, {"metric_type": "word_count", "operation": "sum"})
    assert (answer.status_code, answer.json()["code"]) == (404, "no_metrics")


def test_users_never_share_a_cached_sum(keyed_alice, api_alice, bob, api_bob, keys, other_keys):
    upload(api_alice, keys, [1.0, 2.0])
    assert total(api_alice, keys) == (2, 3.0)
    answer = api_bob.post(AGGREGATE, {"metric_type": "word_count", "operation": "sum"})
    assert answer.status_code == 404

    public_context_install(user=bob, key_bytes=other_keys.public_bytes)
    upload(api_bob, other_keys, [50.0, 60.0])

    assert total(api_bob, other_keys) == (2, 110.0)
    assert total(api_alice, keys) == (2, 3.0)


def test_the_query_is_part_of_the_key(keyed_alice, api_alice, keys):
    upload(api_alice, keys, [1.0, 2.0, 4.0])

    assert total(api_alice, keys) == (3, 7.0)
    narrow = {"start": "2024-02-02T00:00:00Z", "end": "2024-03-01T00:00:00Z"}
    assert total(api_alice, keys, time_range=narrow) == (2, 6.0)
    average = api_alice.post(
        AGGREGATE, {"metric_type": "word_count", "operation": "average"}, format="json"
    ).json()
    assert keys.decrypt(average["encrypted_result"])[0] == pytest.approx(7.0 / 3, rel=1e-3)


# --- compression -----------------------------------------------------------------------


def test_a_large_answer_is_brotli_for_a_client_that_accepts_it(keyed_alice, api_alice, keys):
    upload(api_alice, keys, [1.0, 2.0])
    body = {"metric_type": "word_count", "operation": "sum"}

    plain = api_alice.post(AGGREGATE, body, format="json")
    packed = api_alice.post(AGGREGATE, body, format="json", HTTP_ACCEPT_ENCODING="gzip, br")

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) < 0.8 * len(plain.content)
    assert orjson.loads(brotli.decompress(packed.content)) == plain.json()


def test_small_answers_and_refused_brotli_stay_plain(keyed_alice, api_alice, keys):
    upload(api_alice, keys, [1.0])
    count = {"metric_type": "word_count", "operation": "count"}
    refused = {"metric_type": "word_count", "operation": "sum"}

    small = api_alice.post(AGGREGATE, count, format="json", HTTP_ACCEPT_ENCODING="br")
    no_br = api_alice.post(AGGREGATE, refused, format="json", HTTP_ACCEPT_ENCODING="br;q=0, gzip")

    assert small.json()["count"] == 1
    assert "Content-Encoding" not in small
    assert "Content-Encoding" not in no_br
    assert no_br.json()["count"] == 1


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("br", True),
        ("gzip, deflate, br", True),
        ("br;q=0.5", True),
        ("*", True),
        ("br;q=0", False),
        ("br; q=0.0", False),
        ("br;q=x", False),
        ("gzip", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_as_http_says(header, accepted):
    assert brotli_accepted(header) is accepted

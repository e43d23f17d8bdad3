"""Work per aggregate request is bounded: past a bound the answer is a 422, before any
ciphertext is read, saying what to change."""

import pytest

from analytics.tests.conftest import metric_item

pytestmark = pytest.mark.django_db

METRICS = "/api/encryption/metrics"
AGGREGATE = "/api/encryption/aggregate"
# Five metrics inside one UTC day.
STAMPS = [f"2024-03-05T{hour:02d}:00:00Z" for hour in (3, 7, 11, 15, 19)]


@pytest.fixture
def five_in_a_day(keyed_alice, api_alice, keys):
    items = [metric_item(keys, [1.0], stamp) for stamp in STAMPS]
    assert api_alice.post(METRICS, {"metrics": items}, format="json").status_code == 201


def _sum(client, start, end):
    query = {
        "metric_type": "word_count",
        "operation": "sum",
        "time_range": {"start": start, "end": end},
    }
    return client.post(AGGREGATE, query, format="json")


def test_a_sum_over_more_raw_ciphertexts_than_allowed_is_a_422(five_in_a_day, api_alice, settings):
    settings.AGGREGATE_MAX_CIPHERTEXTS = 4
    # Unaligned edges: every metric of the day is read raw.
    response = _sum(api_alice, "2024-03-05T01:00:00Z", "2024-03-05T23:00:00Z")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "aggregate_too_costly"
    assert (body["limit"], body["needed"]) == (4, 5)
    assert "local midnight" in body["detail"]


def test_the_same_day_aligned_to_midnight_reads_one_rollup(five_in_a_day, api_alice, settings):
    settings.AGGREGATE_MAX_CIPHERTEXTS = 4
    response = _sum(api_alice, "2024-03-05T00:00:00Z", "2024-03-06T00:00:00Z")

    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_counting_reads_no_ciphertext_and_is_not_bounded(five_in_a_day, api_alice, settings):
    settings.AGGREGATE_MAX_CIPHERTEXTS = 1
    query = {"metric_type": "word_count", "operation": "count"}
    assert api_alice.post(AGGREGATE, query, format="json").json()["count"] == 5


def test_results_larger_than_allowed_are_a_422(five_in_a_day, api_alice, settings):
    settings.AGGREGATE_MAX_RESULT_BYTES = 1000
    query = {"metric_type": "word_count", "operation": "sum", "bucket": "day", "timezone": "UTC"}
    response = api_alice.post(AGGREGATE, query, format="json")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "aggregate_result_too_large"
    assert body["limit"] == 1000
    assert body["needed"] > 1000

import base64
import random

import pytest

from analytics.aggregation.query import metrics_aggregate
from analytics.aggregation.sums import Operation
from analytics.periods import Level
from analytics.services.keys import public_context_install
from analytics.tests.conftest import make_client_keys, metric_item

pytestmark = pytest.mark.django_db

METRICS = "/api/encryption/metrics"
AGGREGATE = "/api/encryption/aggregate"


def upload(client, items):
    response = client.post(METRICS, {"metrics": items}, format="json")
    assert response.status_code == 201, response.json()


def aggregate(client, **query):
    query.setdefault("metric_type", "word_count")
    query.setdefault("operation", "sum")
    return client.post(AGGREGATE, query, format="json")


def close(got, expected):
    assert got == pytest.approx(expected, rel=1e-3, abs=1e-6)


@pytest.mark.parametrize("count", [1, 2, 100])
def test_sum_and_average_match_the_plaintext(keyed_alice, api_alice, keys, count):
    rng = random.Random(count)
    values = [rng.uniform(-500, 2000) for _ in range(count)]
    upload(
        api_alice,
        [
            metric_item(keys, [v], f"2024-01-{1 + i % 28:02d}T10:00:00Z")
            for i, v in enumerate(values)
        ],
    )

    summed = aggregate(api_alice).json()
    averaged = aggregate(api_alice, operation="average").json()

    assert summed["count"] == averaged["count"] == count
    close(keys.decrypt(summed["encrypted_result"])[0], sum(values))
    close(keys.decrypt(averaged["encrypted_result"])[0], sum(values) / count)


def test_negative_values_sum_correctly(keyed_alice, api_alice, keys):
    upload(api_alice, [metric_item(keys, [v], "2024-01-01T10:00:00Z") for v in (-3.5, -0.25, 1.0)])

    close(keys.decrypt(aggregate(api_alice).json()["encrypted_result"])[0], -2.75)


def test_packed_vectors_sum_slot_by_slot(keyed_alice, api_alice, keys):
    rows = [[120.0, 0.5, 14400.0], [80.0, -0.25, 6400.0], [300.0, 0.75, 90000.0]]
    upload(api_alice, [metric_item(keys, row, "2024-01-02T10:00:00Z") for row in rows])

    result = keys.decrypt(aggregate(api_alice).json()["encrypted_result"])

    for got, expected in zip(result, [500.0, 1.0, 110800.0], strict=True):
        close(got, expected)


def test_count_returns_no_ciphertext(keyed_alice, api_alice, keys):
    upload(api_alice, [metric_item(keys, [1.0], "2024-01-02T10:00:00Z")] * 3)

    body = aggregate(api_alice, operation="count").json()

    assert (body["count"], body["encrypted_result"]) == (3, None)


def test_the_answer_names_type_operation_and_key(keyed_alice, api_alice, keys):
    upload(api_alice, [metric_item(keys, [1.0], "2024-01-02T10:00:00Z")])

    body = aggregate(api_alice, operation="average").json()

    expected_key = keyed_alice.public_contexts.get().key_id
    assert (body["metric_type"], body["operation"], body["key_id"]) == (
        "word_count",
        "average",
        expected_key,
    )


def test_time_range_start_is_inclusive_and_end_exclusive(keyed_alice, api_alice, keys):
    upload(
        api_alice,
        [
            metric_item(keys, [1.0], "2024-01-01T00:00:00Z"),
            metric_item(keys, [10.0], "2024-01-02T00:00:00Z"),
            metric_item(keys, [100.0], "2024-01-03T00:00:00Z"),
        ],
    )

    body = aggregate(
        api_alice, time_range={"start": "2024-01-01T00:00:00Z", "end": "2024-01-03T00:00:00Z"}
    ).json()

    assert body["count"] == 2
    close(keys.decrypt(body["encrypted_result"])[0], 11.0)


def test_an_inverted_time_range_is_400(keyed_alice, api_alice):
    response = aggregate(
        api_alice, time_range={"start": "2024-01-03T00:00:00Z", "end": "2024-01-01T00:00:00Z"}
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"metric_type": "sentiment"},
        {"time_range": {"start": "2030-01-01T00:00:00Z"}},
        {"time_range": {"end": "2000-01-01T00:00:00Z"}},
    ],
)
def test_nothing_matching_is_404_no_metrics(keyed_alice, api_alice, keys, query):
    upload(api_alice, [metric_item(keys, [1.0], "2024-01-02T10:00:00Z")])

    response = aggregate(api_alice, **query)

    assert (response.status_code, response.json()["code"]) == (404, "no_metrics")


def test_without_a_key_there_is_nothing_to_aggregate(api_alice):
    assert aggregate(api_alice).json()["code"] == "no_metrics"


def test_an_unknown_timezone_is_400(keyed_alice, api_alice):
    assert aggregate(api_alice, bucket="day", timezone="Mars/Olympus").status_code == 400


LA = "America/Los_Angeles"
# Spring forward on 2024-03-10 (a 23-hour day), fall back on 2024-11-03 (25 hours).
DST_VALUES = {
    "2024-03-09T23:30:00-08:00": 1.0,
    "2024-03-10T00:30:00-08:00": 2.0,
    "2024-03-10T03:30:00-07:00": 4.0,
    "2024-03-10T23:30:00-07:00": 8.0,
    "2024-03-11T00:30:00-07:00": 16.0,
    "2024-11-03T00:30:00-07:00": 32.0,
    "2024-11-03T01:30:00-08:00": 64.0,
    "2024-11-03T23:30:00-08:00": 128.0,
    "2024-11-04T00:10:00-08:00": 256.0,
}
DST_DAYS = [
    ("2024-03-09T00:00:00-08:00", "2024-03-10T00:00:00-08:00", 1.0),
    ("2024-03-10T00:00:00-08:00", "2024-03-11T00:00:00-07:00", 14.0),
    ("2024-03-11T00:00:00-07:00", "2024-03-12T00:00:00-07:00", 16.0),
    ("2024-11-03T00:00:00-07:00", "2024-11-04T00:00:00-08:00", 224.0),
    ("2024-11-04T00:00:00-08:00", "2024-11-05T00:00:00-08:00", 256.0),
]


@pytest.mark.parametrize("user_zone", [LA, "UTC", "Asia/Kolkata"])
def test_day_buckets_follow_local_days_across_dst(keyed_alice, api_alice, keys, user_zone):
    keyed_alice.timezone = user_zone  # the rollups follow this zone; the query asks for LA
    keyed_alice.save()
    upload(api_alice, [metric_item(keys, [v], ts) for ts, v in DST_VALUES.items()])

    body = aggregate(api_alice, bucket="day", timezone=LA).json()

    got = [(b["start"], b["end"], keys.decrypt(b["encrypted_result"])[0]) for b in body["buckets"]]
    assert [(start, end) for start, end, _ in got] == [(s, e) for s, e, _ in DST_DAYS]
    for (_, _, value), (_, _, expected) in zip(got, DST_DAYS, strict=True):
        close(value, expected)
    assert body["count"] == len(DST_VALUES)
    assert body["timezone"] == LA


def test_buckets_default_to_the_users_zone(keyed_alice, api_alice, keys):
    keyed_alice.timezone = LA
    keyed_alice.save()
    upload(api_alice, [metric_item(keys, [1.0], "2024-03-10T06:00:00Z")])

    bucket = aggregate(api_alice, bucket="day").json()["buckets"][0]

    assert bucket["start"] == "2024-03-09T00:00:00-08:00"


def test_weeks_start_on_monday_and_empty_buckets_are_omitted(keyed_alice, api_alice, keys):
    # 2024-01-01 is a Monday; nothing is stored in the week of 2024-01-08.
    stamps = ["2024-01-01T09:00:00Z", "2024-01-07T23:00:00Z", "2024-01-15T09:00:00Z"]
    upload(api_alice, [metric_item(keys, [1.0], ts) for ts in stamps])

    buckets = aggregate(api_alice, bucket="week", timezone="UTC").json()["buckets"]

    assert [(b["start"], b["count"]) for b in buckets] == [
        ("2024-01-01T00:00:00+00:00", 2),
        ("2024-01-15T00:00:00+00:00", 1),
    ]


def test_month_buckets_average_each_month(keyed_alice, api_alice, keys):
    values = {
        "2024-01-05T12:00:00Z": 10.0,
        "2024-01-20T12:00:00Z": 20.0,
        "2024-03-01T00:00:00Z": 7.0,
    }
    upload(api_alice, [metric_item(keys, [v], ts) for ts, v in values.items()])

    body = aggregate(api_alice, operation="average", bucket="month", timezone="UTC").json()

    assert [(b["start"], b["end"], b["count"]) for b in body["buckets"]] == [
        ("2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00", 2),
        ("2024-03-01T00:00:00+00:00", "2024-04-01T00:00:00+00:00", 1),
    ]
    close(keys.decrypt(body["buckets"][0]["encrypted_result"])[0], 15.0)
    close(keys.decrypt(body["buckets"][1]["encrypted_result"])[0], 7.0)
    close(keys.decrypt(body["encrypted_result"])[0], 37.0 / 3)


def test_whole_periods_are_read_from_rollups(keyed_alice, api_alice, keys):
    stamps = [f"2024-0{m}-{d:02d}T12:00:00Z" for m in (1, 2) for d in range(1, 29)]
    upload(api_alice, [metric_item(keys, [1.0], ts) for ts in stamps])

    result = metrics_aggregate(
        user=keyed_alice,
        metric_type="word_count",
        operation=Operation.SUM,
        bucket=Level.MONTH,
        timezone="UTC",
    )

    assert result.count == 56
    assert result.ciphertexts_read == 2


def test_too_many_bucket_results_is_a_422(keyed_alice, api_alice, keys, settings):
    settings.AGGREGATE_MAX_BUCKETS = 2
    stamps = ["2024-01-01T09:00:00Z", "2024-01-02T09:00:00Z", "2024-01-03T09:00:00Z"]
    upload(api_alice, [metric_item(keys, [1.0], ts) for ts in stamps])

    assert aggregate(api_alice, bucket="day").json()["code"] == "too_many_buckets"
    assert aggregate(api_alice, bucket="day", operation="count").status_code == 200


def test_a_rekey_never_mixes_epochs(keyed_alice, api_alice, keys):
    upload(api_alice, [metric_item(keys, [1000.0], "2024-01-02T10:00:00Z")])
    new_keys = make_client_keys()
    old_key_id = keyed_alice.public_contexts.get().key_id
    new_key_id = public_context_install(user=keyed_alice, key_bytes=new_keys.public_bytes)
    upload(api_alice, [metric_item(new_keys, [1.0], "2024-01-02T11:00:00Z")])
    # A device that has not heard of the re-key yet names the old epoch explicitly.
    upload(api_alice, [metric_item(keys, [5.0], "2024-01-02T12:00:00Z", key_id=old_key_id)])

    current = aggregate(api_alice).json()
    older = aggregate(api_alice, key_id=old_key_id).json()

    assert (current["key_id"], current["count"]) == (new_key_id, 1)
    close(new_keys.decrypt(current["encrypted_result"])[0], 1.0)
    assert (older["key_id"], older["count"]) == (old_key_id, 2)
    close(keys.decrypt(older["encrypted_result"])[0], 1005.0)


def test_another_users_key_id_finds_nothing(keyed_alice, api_alice, bob, keys, other_keys):
    bobs_key = public_context_install(user=bob, key_bytes=other_keys.public_bytes)
    upload(api_alice, [metric_item(keys, [1.0], "2024-01-02T10:00:00Z")])

    assert aggregate(api_alice, key_id=bobs_key).status_code == 404


def test_anonymous_aggregation_is_401(anon):
    assert aggregate(anon).status_code == 401


@pytest.mark.parametrize("count", [3, 40])
def test_aggregate_queries_do_not_grow_with_the_data(
    keyed_alice, api_alice, keys, count, django_assert_max_num_queries
):
    blob = keys.encrypt([1.0])
    item = {**metric_item(keys, [1.0], "2024-01-01T00:00:00Z")}
    item["encrypted_value"] = base64.b64encode(blob).decode()
    stamps = [f"2024-{1 + n % 3:02d}-{1 + n % 27:02d}T{n % 24:02d}:00:00Z" for n in range(count)]
    upload(api_alice, [{**item, "timestamp": ts} for ts in stamps])

    # Ciphertexts are read through a binary cursor that these counts do not see.
    with django_assert_max_num_queries(8):
        response = aggregate(api_alice, bucket="month", timezone="UTC")

    assert response.json()["count"] == count

import base64

import pytest

from analytics.messages import AnalyticsMessages as Msg
from analytics.models import EncryptedMetric, MetricRollup
from analytics.services.keys import public_context_install
from analytics.tests.conftest import metric_item

pytestmark = pytest.mark.django_db

URL = "/api/encryption/metrics"


def upload(client, *items):
    return client.post(URL, {"metrics": list(items)}, format="json")


def test_a_batch_is_stored_exactly_as_uploaded(keyed_alice, api_alice, keys):
    item = metric_item(keys, [120.0], "2024-05-01T08:30:00+02:00", log_id="entry-1")

    response = upload(api_alice, item)

    assert response.status_code == 201
    assert response.json()["details"]["count"] == 1
    stored = EncryptedMetric.objects.get(user=keyed_alice)
    assert bytes(stored.ciphertext) == base64.b64decode(item["encrypted_value"])
    assert stored.size_bytes == len(bytes(stored.ciphertext))
    assert stored.timestamp.isoformat() == "2024-05-01T06:30:00+00:00"
    assert (stored.log_id, stored.series.metric_type) == ("entry-1", "word_count")


def test_the_response_names_the_key_epoch_used(keyed_alice, api_alice, keys):
    response = upload(api_alice, metric_item(keys, [1.0], "2024-05-01T08:30:00Z"))

    assert response.json()["details"]["key_ids"] == [keyed_alice.public_contexts.get().key_id]


def test_one_bad_metric_rejects_the_whole_batch_naming_its_index(keyed_alice, api_alice, keys):
    good = metric_item(keys, [1.0], "2024-05-01T08:30:00Z")
    bad = {**good, "encrypted_value": base64.b64encode(b"\x0a\x01\x08").decode()}

    response = upload(api_alice, good, good, bad)

    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["index"]) == ("invalid_ciphertext", 2)
    assert body["detail"].startswith("Metric 2: ")
    assert list(body["fields"]["metrics"]) == ["2"]
    assert not EncryptedMetric.objects.exists()
    assert not MetricRollup.objects.exists()


def test_a_naive_timestamp_is_refused_with_its_index(keyed_alice, api_alice, keys):
    response = upload(api_alice, metric_item(keys, [1.0], "2024-05-01T08:30:00"))

    body = response.json()
    assert (response.status_code, body["code"], body["index"]) == (422, "invalid_metric", 0)
    assert "timestamp" in body["fields"]["metrics"]["0"]


@pytest.mark.parametrize("metric_type", ["Word_Count", "", "a" * 65, "words count", "ü"])
def test_metric_types_are_a_small_alphabet(keyed_alice, api_alice, keys, metric_type):
    item = metric_item(keys, [1.0], "2024-05-01T08:30:00Z", metric_type=metric_type)

    response = upload(api_alice, item)

    assert (response.status_code, response.json()["code"]) == (422, "invalid_metric")


def test_unknown_fields_are_refused(keyed_alice, api_alice, keys):
    item = {**metric_item(keys, [1.0], "2024-05-01T08:30:00Z"), "value": 3}

    assert upload(api_alice, item).json()["code"] == "invalid_metric"


def test_more_than_the_per_request_limit_is_413(keyed_alice, api_alice, settings):
    settings.METRICS_MAX_PER_REQUEST = 2
    item = {"metric_type": "x", "encrypted_value": "", "timestamp": "2024-05-01T08:30:00Z"}

    response = upload(api_alice, item, item, item)

    assert (response.status_code, response.json()["code"]) == (413, "too_many_metrics")


def test_an_empty_batch_is_a_400(keyed_alice, api_alice):
    assert api_alice.post(URL, {"metrics": []}, format="json").status_code == 400


def test_local_only_users_cannot_upload(api_charlie, charlie, keys):
    response = upload(api_charlie, metric_item(keys, [1.0], "2024-05-01T08:30:00Z"))

    assert (response.status_code, response.json()["code"]) == (403, "tier_required")
    assert not EncryptedMetric.objects.exists()


def test_uploading_before_any_key_is_422_no_key(api_alice, keys):
    response = upload(api_alice, metric_item(keys, [1.0], "2024-05-01T08:30:00Z"))

    assert (response.status_code, response.json()["code"]) == (422, "no_key")


def test_an_unknown_key_id_is_refused(keyed_alice, api_alice, keys):
    item = metric_item(keys, [1.0], "2024-05-01T08:30:00Z", key_id="ab" * 32)

    body = upload(api_alice, item).json()

    assert (body["code"], body["index"], body["detail"]) == (
        "unknown_key_id",
        0,
        Msg.METRIC_REJECTED.format(index=0, reason=Msg.UNKNOWN_KEY_ID),
    )


def test_another_users_key_id_is_unknown(keyed_alice, api_alice, bob, keys, other_keys):
    bobs_key = public_context_install(user=bob, key_bytes=other_keys.public_bytes)
    item = metric_item(keys, [1.0], "2024-05-01T08:30:00Z", key_id=bobs_key)

    assert upload(api_alice, item).json()["code"] == "unknown_key_id"


def test_values_of_a_metric_type_keep_the_first_vector_size(keyed_alice, api_alice, keys):
    assert (
        upload(api_alice, metric_item(keys, [1.0, 2.0], "2024-05-01T08:30:00Z")).status_code == 201
    )

    response = upload(api_alice, metric_item(keys, [1.0, 2.0, 3.0], "2024-05-02T08:30:00Z"))

    body = response.json()
    assert (response.status_code, body["code"]) == (422, "vector_size_mismatch")
    assert body["detail"] == Msg.METRIC_REJECTED.format(
        index=0, reason=Msg.VECTOR_SIZE_MISMATCH.format(got=3, expected=2)
    )


def test_sizes_are_checked_within_one_batch_too(keyed_alice, api_alice, keys):
    response = upload(
        api_alice,
        metric_item(keys, [1.0], "2024-05-01T08:30:00Z"),
        metric_item(keys, [1.0, 2.0], "2024-05-01T09:30:00Z"),
    )

    assert (response.json()["code"], response.json()["index"]) == ("vector_size_mismatch", 1)


def test_other_metric_types_may_pack_other_sizes(keyed_alice, api_alice, keys):
    response = upload(
        api_alice,
        metric_item(keys, [1.0], "2024-05-01T08:30:00Z"),
        metric_item(keys, [1.0, 2.0], "2024-05-01T09:30:00Z", metric_type="sentiment"),
    )

    assert response.status_code == 201


def test_same_log_id_twice_in_one_batch_is_refused(keyed_alice, api_alice, keys):
    item = metric_item(keys, [1.0], "2024-05-01T08:30:00Z", log_id="e1")

    body = upload(api_alice, item, item).json()

    assert (body["code"], body["index"]) == ("duplicate_log_id", 1)


def test_a_later_upload_with_the_same_log_id_replaces_the_value(keyed_alice, api_alice, keys):
    upload(api_alice, metric_item(keys, [100.0], "2024-05-01T08:30:00Z", log_id="e1"))

    response = upload(api_alice, metric_item(keys, [150.0], "2024-05-03T08:30:00Z", log_id="e1"))

    assert response.json()["details"]["replaced"] == 1
    metric = EncryptedMetric.objects.get(user=keyed_alice)
    assert keys.decrypt(bytes(metric.ciphertext))[0] == pytest.approx(150.0, rel=1e-6)
    # The one metric left is its day's sum: no day rollup; the month's rollup moved with it.
    assert not MetricRollup.objects.filter(user=keyed_alice, level="day").exists()
    month = MetricRollup.objects.get(user=keyed_alice, level="month")
    assert month.count == 1
    assert keys.decrypt(bytes(month.ciphertext))[0] == pytest.approx(150.0, rel=1e-6)


def test_the_stranger_sees_none_of_it(keyed_alice, api_alice, api_bob, keys):
    upload(api_alice, metric_item(keys, [1.0], "2024-05-01T08:30:00Z"))

    response = api_bob.post(
        "/api/encryption/aggregate",
        {"metric_type": "word_count", "operation": "count"},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (404, "no_metrics")


def test_anonymous_uploads_are_401(anon, keys):
    assert upload(anon, metric_item(keys, [1.0], "2024-05-01T08:30:00Z")).status_code == 401

"""Metric uploads and key epochs past a quota are a 422 quota_exceeded; nothing is stored."""

import pytest

from analytics.models import EncryptedMetric, MetricRollup, PublicContext
from analytics.tests.conftest import metric_item
from journal_sync.tests.conftest import payload, push

pytestmark = pytest.mark.django_db

METRICS = "/api/encryption/metrics"
STAMPS = ["2024-03-05T03:00:00Z", "2024-03-05T07:00:00Z", "2024-03-06T11:00:00Z"]


def _upload(client, keys, stamps, **extra):
    items = [metric_item(keys, [1.0], stamp, **extra) for stamp in stamps]
    return client.post(METRICS, {"metrics": items}, format="json")


def test_metrics_past_the_metric_quota_are_refused_whole(keyed_alice, api_alice, keys, settings):
    settings.QUOTA_METRICS = 2
    assert _upload(api_alice, keys, STAMPS[:1]).status_code == 201
    rollups = MetricRollup.objects.count()

    response = _upload(api_alice, keys, STAMPS[1:])
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["quota"], body["limit"], body["used"], body["requested"]) == (
        "quota_exceeded",
        "metrics",
        2,
        1,
        2,
    )
    assert EncryptedMetric.objects.count() == 1
    assert MetricRollup.objects.count() == rollups


def test_replacing_a_metric_at_the_quota_is_allowed(keyed_alice, api_alice, keys, settings):
    settings.QUOTA_METRICS = 1
    assert _upload(api_alice, keys, STAMPS[:1], log_id="entry-1").status_code == 201
    response = _upload(api_alice, keys, STAMPS[1:2], log_id="entry-1")
    assert response.status_code == 201
    assert response.json()["details"]["replaced"] == 1


def test_metric_bytes_count_toward_the_shared_storage_quota(keyed_alice, api_alice, keys, settings):
    assert _upload(api_alice, keys, STAMPS[:1]).status_code == 201
    metric_bytes = EncryptedMetric.objects.get().size_bytes
    settings.QUOTA_STORAGE_BYTES = metric_bytes + 10
    # An entry is refused once metrics fill the account's storage...
    response = push(api_alice, payload("entry-1", "some text"))
    assert (response.status_code, response.json()["quota"]) == (422, "storage_bytes")
    assert response.json()["used"] == metric_bytes
    # ... and so is another metric.
    refused = _upload(api_alice, keys, STAMPS[1:2])
    assert (refused.status_code, refused.json()["quota"]) == (422, "storage_bytes")


def test_a_key_epoch_past_the_quota_is_refused(keyed_alice, api_alice, other_keys, settings):
    settings.QUOTA_KEY_EPOCHS = 1
    response = api_alice.put(
        "/api/encryption/public-context", {"he_public_key": other_keys.public_b64}, format="json"
    )
    assert response.status_code == 422
    assert (response.json()["quota"], response.json()["used"]) == ("key_epochs", 1)
    assert PublicContext.objects.filter(user=keyed_alice).count() == 1

"""Purge on downgrade and on request, export, stats and the admin: sizes, never bytes."""

import base64
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.tiers import PrivacyTier
from analytics.models import EncryptedMetric, MetricRollup, MetricSeries, PublicContext
from analytics.services.uploads import MetricUpload, metrics_upload
from reflective.lib.user_data import user_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(keyed_alice, keys):
    """Three metrics of alice, on two days, with rollups."""
    blobs = [keys.encrypt([float(n)]) for n in range(3)]
    metrics_upload(
        user=keyed_alice,
        metrics=[
            MetricUpload("word_count", blob, datetime(2024, 4, 1 + n // 2, 9, tzinfo=UTC), f"e{n}")
            for n, blob in enumerate(blobs)
        ],
    )
    return blobs


def _counts(user):
    return (
        EncryptedMetric.objects.filter(user=user).count(),
        MetricRollup.objects.filter(user=user).count(),
        PublicContext.objects.filter(user=user).count(),
    )


@pytest.mark.parametrize("tier", [PrivacyTier.ANALYTICS_SYNC, PrivacyTier.FULL_SYNC])
def test_tiers_with_analytics_keep_everything(keyed_alice, stored, tier):
    before = _counts(keyed_alice)

    counts = user_data.purge(keyed_alice, tier)

    assert (counts["deleted_metrics"], counts["deleted_rollups"], counts["deleted_keys"]) == (
        0,
        0,
        0,
    )
    assert _counts(keyed_alice) == before


def test_local_only_purges_metrics_rollups_and_keys(keyed_alice, bob, other_keys, stored):
    from analytics.services.keys import public_context_install

    public_context_install(user=bob, key_bytes=other_keys.public_bytes)
    rollups = MetricRollup.objects.filter(user=keyed_alice).count()

    counts = user_data.purge(keyed_alice, PrivacyTier.LOCAL_ONLY)

    assert (counts["deleted_metrics"], counts["deleted_rollups"], counts["deleted_keys"]) == (
        3,
        rollups,
        1,
    )
    assert _counts(keyed_alice) == (0, 0, 0)
    assert not MetricSeries.objects.filter(user=keyed_alice).exists()
    assert PublicContext.objects.filter(user=bob).count() == 1


def test_delete_all_metrics_keeps_the_key(keyed_alice, api_alice, stored):
    rollups = MetricRollup.objects.filter(user=keyed_alice).count()

    response = api_alice.delete("/api/sync/metrics/all")

    body = response.json()
    assert (response.status_code, body["deleted_metrics"], body["deleted_rollups"]) == (
        200,
        3,
        rollups,
    )
    assert _counts(keyed_alice) == (0, 0, 1)


def test_delete_all_touches_only_the_caller(keyed_alice, api_bob, stored):
    assert api_bob.delete("/api/sync/metrics/all").json()["deleted_metrics"] == 0
    assert _counts(keyed_alice)[0] == 3


def test_deleting_by_log_id_updates_the_sums(keyed_alice, api_alice, keys, stored):
    response = api_alice.delete("/api/encryption/metrics?log_id=e1&log_id=e2")

    assert response.json() == {"deleted_metrics": 2}
    summed = api_alice.post(
        "/api/encryption/aggregate",
        {"metric_type": "word_count", "operation": "sum"},
        format="json",
    ).json()
    assert summed["count"] == 1
    assert keys.decrypt(summed["encrypted_result"])[0] == pytest.approx(0.0, abs=1e-4)


def test_deleting_without_a_log_id_is_400(keyed_alice, api_alice):
    assert api_alice.delete("/api/encryption/metrics").status_code == 400


def test_deleting_someone_elses_log_ids_deletes_nothing(keyed_alice, api_bob, stored):
    assert api_bob.delete("/api/encryption/metrics?log_id=e1").json() == {"deleted_metrics": 0}
    assert _counts(keyed_alice)[0] == 3


def test_export_holds_every_metric_as_uploaded_and_every_key(keyed_alice, keys, stored):
    sections = dict(user_data.export_sections(keyed_alice))

    metrics = list(sections["metrics"])
    epochs = list(sections["analytics_keys"])

    assert sorted(base64.b64decode(m["encrypted_value"]) for m in metrics) == sorted(stored)
    assert {m["log_id"] for m in metrics} == {"e0", "e1", "e2"}
    assert {m["key_id"] for m in metrics} == {epochs[0]["key_id"]}
    assert base64.b64decode(epochs[0]["he_public_key"]) == keys.public_bytes
    assert epochs[0]["is_current"] is True


def test_export_is_per_user(keyed_alice, bob, stored):
    sections = dict(user_data.export_sections(bob))

    assert list(sections["metrics"]) == []
    assert list(sections["analytics_keys"]) == []


def test_stats_count_metrics_and_their_bytes(keyed_alice, stored):
    stats = user_data.stats(keyed_alice)

    assert stats["metric_count"] == 3
    assert stats["metric_bytes"] == sum(len(blob) for blob in stored)


def test_the_admin_shows_sizes_but_never_ciphertext_or_keys(keyed_alice, keys, stored, make_user):
    admin = make_user("ops@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    fragments = [base64.b64encode(blob[100:160]).decode() for blob in stored]
    fragments.append(base64.b64encode(keys.public_bytes[100:160]).decode())
    pages = []
    for model, obj in [
        ("publiccontext", PublicContext.objects.get(user=keyed_alice)),
        ("metricseries", MetricSeries.objects.get(user=keyed_alice)),
        ("encryptedmetric", EncryptedMetric.objects.filter(user=keyed_alice)[0]),
        ("metricrollup", MetricRollup.objects.filter(user=keyed_alice)[0]),
    ]:
        for url in (f"/admin/analytics/{model}/", f"/admin/analytics/{model}/{obj.pk}/change/"):
            response = client.get(url)
            assert response.status_code == 200, url
            pages.append(response.content.decode())

    html = "\n".join(pages)
    assert str(len(stored[0])) in html
    assert not any(fragment in html for fragment in fragments)
    assert "ciphertext" not in html.lower().replace("ciphertext sizes", "")

"""Concurrent uploads to one series keep rollups exact (real threads, PostgreSQL locks)."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import User
from accounts.tiers import PrivacyTier
from analytics.models import EncryptedMetric, MetricRollup, MetricSeries
from analytics.services.keys import public_context_install
from analytics.services.uploads import MetricUpload, metrics_upload
from conftest import run_in_threads
from reflective.lib.user_data import user_data

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

START = datetime(2024, 6, 1, 12, tzinfo=UTC)


def test_concurrent_first_uploads_share_one_series_and_exact_rollups(keys):
    user = User.objects.create_user("racer@example.com", "pw", privacy_tier=PrivacyTier.FULL_SYNC)
    public_context_install(user=user, key_bytes=keys.public_bytes)
    values = {worker: [float(worker * 10 + n) for n in range(4)] for worker in range(4)}

    def job(worker):
        return lambda: metrics_upload(
            user=user,
            metrics=[
                MetricUpload("word_count", keys.encrypt([v]), START + timedelta(hours=n))
                for n, v in enumerate(values[worker])
            ],
        )

    errors = run_in_threads([job(worker) for worker in values], together=True)

    assert errors == []
    assert MetricSeries.objects.filter(user=user).count() == 1
    assert EncryptedMetric.objects.filter(user=user).count() == 16
    expected = sum(sum(v) for v in values.values())
    for rollup in MetricRollup.objects.filter(user=user):
        assert rollup.count == 16
        assert keys.decrypt(bytes(rollup.ciphertext))[0] == pytest.approx(expected, rel=1e-6)


def test_an_upload_racing_a_downgrade_leaves_nothing_behind(keys):
    from django.db import transaction

    user = User.objects.create_user("quitter@example.com", "pw", privacy_tier=PrivacyTier.FULL_SYNC)
    public_context_install(user=user, key_bytes=keys.public_bytes)
    blob = keys.encrypt([1.0])

    def upload():
        metrics_upload(user=user, metrics=[MetricUpload("word_count", blob, START)])

    def downgrade():
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            user_data.purge(locked, PrivacyTier.LOCAL_ONLY)
            locked.privacy_tier = PrivacyTier.LOCAL_ONLY
            locked.save(update_fields=["privacy_tier"])

    errors = run_in_threads([upload, downgrade], together=True)

    # Either the upload committed first and was purged, or it saw local_only and was refused.
    assert all(getattr(error, "code", "") in {"tier_required", "no_key"} for error in errors)
    assert not EncryptedMetric.objects.filter(user=user).exists()
    assert not MetricRollup.objects.filter(user=user).exists()

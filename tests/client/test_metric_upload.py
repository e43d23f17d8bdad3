"""The reference client's metric upload against the real API: binary frames by default, JSON
on request, TenSEAL ciphertexts the client made, sums decrypted by the client."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics.models import EncryptedMetric
from reflective_client.account import Account
from reflective_client.analytics import Insights, MetricPoint
from reflective_client.api import ApiSession, ServerError
from reflective_client.crypto import CkksKeys

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long enough test password"
START = datetime(2024, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def ckks() -> CkksKeys:
    return CkksKeys.generate()


@pytest.fixture
def insights(live_server, ckks: CkksKeys) -> Insights:
    api = ApiSession(live_server.url, backoff=0.0, retries=0)
    api.register("metrics@example.com", PASSWORD)
    api.login("metrics@example.com", PASSWORD)
    Account(api, ckks).set_tier("analytics_sync")
    return Insights(api, ckks)


def _points(values: list[float], log_prefix: str = "e") -> list[MetricPoint]:
    return [
        MetricPoint("word_count", [value], START + timedelta(days=n), f"{log_prefix}{n}")
        for n, value in enumerate(values)
    ]


def test_the_default_binary_upload_sums_to_what_was_sent(insights: Insights):
    values = [float(n) for n in range(12)]

    assert insights.upload(_points(values)) == 12

    total = insights.aggregate("word_count", "sum", timezone="UTC")
    assert total.count == 12
    assert total.values is not None
    assert total.values[0] == pytest.approx(sum(values), abs=0.01)
    weekly = insights.aggregate("word_count", "sum", bucket="week", timezone="UTC")
    assert sum(b.count for b in weekly.buckets) == 12


def test_binary_and_json_uploads_store_the_same_thing(insights: Insights):
    insights.upload(_points([5.0, 7.0], "bin"))
    insights.upload(_points([5.0, 7.0], "json"), binary=False)

    stored = EncryptedMetric.objects.order_by("log_id")
    assert [m.log_id for m in stored] == ["bin0", "bin1", "json0", "json1"]
    total = insights.aggregate("word_count", "sum")
    assert total.values is not None
    assert total.values[0] == pytest.approx(24.0, abs=0.01)


def test_a_binary_upload_replaces_by_log_id(insights: Insights):
    insights.upload(_points([100.0]))
    insights.upload(_points([3.0]))

    total = insights.aggregate("word_count", "sum")
    assert (total.count, total.values and round(total.values[0], 2)) == (1, 3.0)


def test_a_refused_binary_upload_raises_the_servers_error(insights: Insights, ckks: CkksKeys):
    other = CkksKeys.generate()
    stranger = Insights(insights.api, other)  # a key the server does not know

    with pytest.raises(ServerError) as refused:
        stranger.upload(_points([1.0]))

    assert (refused.value.status, refused.value.code) == (422, "unknown_key_id")

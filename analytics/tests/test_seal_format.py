"""Raw SEAL keys and ciphertexts (node-seal and native clients) are first-class.

The client here is real SEAL through tenseal.sealapi: keys from SEAL's KeyGenerator, values
encrypted with the PublicKey, and the server's answers decrypted with the SecretKey.
"""

import base64

import pytest

from analytics.models import EncryptedMetric, MetricRollup, PublicContext
from analytics.tests.conftest import metric_item
from analytics.tests.sealkeys import make_seal_client

pytestmark = pytest.mark.django_db

VALUES = [3.0, 7.5, 12.0, 1.25]


def seal_item(client, value, timestamp="2024-05-01T08:30:00Z", **extra):
    return {
        "metric_type": "word_count",
        "encrypted_value": client.encrypt_b64([value]),
        "timestamp": timestamp,
        **extra,
    }


def aggregate(api, operation, **extra):
    body = {"metric_type": "word_count", "operation": operation, **extra}
    return api.post("/api/encryption/aggregate", body, format="json")


def upload(api, items):
    return api.post("/api/encryption/metrics", {"metrics": items}, format="json")


def test_a_seal_public_key_starts_a_seal_key_epoch(seal_alice, seal_client):
    epoch = PublicContext.objects.get(user=seal_alice)

    assert (epoch.format, epoch.seal_version, epoch.poly_modulus_degree) == ("seal", "4.1", 8192)
    assert bytes(epoch.context_bytes) == seal_client.public_bytes


def test_sum_and_average_decrypt_with_the_clients_secret_key(seal_alice, api_alice, seal_client):
    assert upload(api_alice, [seal_item(seal_client, v) for v in VALUES]).status_code == 201

    total = aggregate(api_alice, "sum").json()
    average = aggregate(api_alice, "average").json()

    assert total["count"] == average["count"] == 4
    assert seal_client.decrypt(total["encrypted_result"])[0] == pytest.approx(23.75, abs=1e-4)
    assert seal_client.decrypt(average["encrypted_result"])[0] == pytest.approx(5.9375, abs=1e-4)


def test_answers_are_stamped_with_the_clients_seal_version(seal_alice, api_alice, seal_client):
    upload(api_alice, [seal_item(seal_client, 1.0), seal_item(seal_client, 2.0)])

    result = base64.b64decode(aggregate(api_alice, "sum").json()["encrypted_result"])

    # magic, header size, SEAL 4.1, zstd: what node-seal's Ciphertext.load expects
    assert result[:6] == bytes([0x5E, 0xA1, 0x10, 4, 1, 2])
    assert int.from_bytes(result[8:16], "little") == len(result)


def test_daily_buckets_add_up_through_the_rollups(seal_alice, api_alice, seal_client):
    days = {"2024-05-01T08:00:00Z": 1.0, "2024-05-01T09:00:00Z": 2.0, "2024-05-02T08:00:00Z": 4.0}
    upload(api_alice, [seal_item(seal_client, v, t) for t, v in days.items()])

    body = aggregate(api_alice, "sum", bucket="day", timezone="UTC").json()

    sums = [seal_client.decrypt(b["encrypted_result"])[0] for b in body["buckets"]]
    assert sums == [pytest.approx(3.0, abs=1e-4), pytest.approx(4.0, abs=1e-4)]
    assert seal_client.decrypt(body["encrypted_result"])[0] == pytest.approx(7.0, abs=1e-4)
    assert MetricRollup.objects.filter(series__epoch__format="seal").exists()


def test_a_replaced_value_leaves_the_sums(seal_alice, api_alice, seal_client):
    upload(api_alice, [seal_item(seal_client, 5.0, log_id="a"), seal_item(seal_client, 1.0)])
    upload(api_alice, [seal_item(seal_client, 2.0, log_id="a")])

    total = aggregate(api_alice, "sum").json()

    assert total["count"] == 2
    assert seal_client.decrypt(total["encrypted_result"])[0] == pytest.approx(3.0, abs=1e-4)


def test_deleting_a_value_updates_the_sum(seal_alice, api_alice, seal_client):
    upload(api_alice, [seal_item(seal_client, 5.0, log_id="a"), seal_item(seal_client, 1.0)])

    api_alice.delete("/api/encryption/metrics?log_id=a")
    total = aggregate(api_alice, "sum").json()

    assert seal_client.decrypt(total["encrypted_result"])[0] == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(("minor", "compression"), [(1, 0), (1, 2), (0, 1), (3, 2)])
def test_every_seal_4_release_and_compression_mode_is_understood(
    alice, api_alice, minor, compression
):
    client = make_seal_client(4096, minor=minor, compression=compression)
    api_alice.put(
        "/api/encryption/public-context", {"he_public_key": client.public_b64}, format="json"
    )

    upload(api_alice, [seal_item(client, 1.5), seal_item(client, 2.0)])
    result = aggregate(api_alice, "sum").json()["encrypted_result"]

    assert base64.b64decode(result)[4] == minor
    assert client.decrypt(result)[0] == pytest.approx(3.5, abs=1e-2)


def test_the_stored_bytes_are_exactly_the_uploaded_ones(seal_alice, api_alice, seal_client):
    item = seal_item(seal_client, 4.0)

    upload(api_alice, [item])

    stored = bytes(EncryptedMetric.objects.get().ciphertext)
    assert stored == base64.b64decode(item["encrypted_value"])


def test_a_tenseal_vector_under_a_seal_epoch_is_refused(seal_alice, api_alice, keys):
    response = upload(api_alice, [metric_item(keys, [1.0], "2024-05-01T08:30:00Z")])

    body = response.json()
    assert (response.status_code, body["code"], body["index"]) == (422, "invalid_ciphertext", 0)
    assert "tenseal ciphertext" in body["detail"]


def test_a_seal_ciphertext_under_a_tenseal_epoch_is_refused(keyed_alice, api_alice, seal_client):
    response = upload(api_alice, [seal_item(seal_client, 1.0)])

    assert (response.status_code, response.json()["code"]) == (422, "invalid_ciphertext")
    assert not EncryptedMetric.objects.exists()


def test_a_stranger_gets_no_sum_of_a_seal_epoch(seal_alice, api_alice, api_bob, seal_client):
    upload(api_alice, [seal_item(seal_client, 1.0)])

    response = aggregate(api_bob, "sum")

    assert response.status_code == 404

"""The hostile-input tests, against the raw SEAL path: every crafted blob is a 422, no worker dies.

As for TenSEAL, crafted blobs first go through the server's validation in a child process
(a crash there fails the test instead of killing the run); the API tests then post them.
"""

import base64

import pytest

from analytics.models import EncryptedMetric
from analytics.tests.hostile import SEAL_8192, mutations, validate_in_child
from analytics.tests.seal_hostile import named_seal_hostile_blobs
from analytics.tests.sealkeys import wire

EXPECTED_CODES = {
    "empty": "invalid_ciphertext",
    "magic then garbage": "invalid_ciphertext",
    "text": "invalid_ciphertext",
    "truncated to 3 bytes": "invalid_ciphertext",
    "truncated to 20 bytes": "invalid_ciphertext",
    "truncated by half": "invalid_ciphertext",
    "truncated by one byte": "invalid_ciphertext",
    "truncated, size field fixed": "invalid_ciphertext",
    "huge SEAL header size field": "invalid_ciphertext",
    "unknown compression mode": "invalid_ciphertext",
    "nested header claims compression": "invalid_ciphertext",
    "nested header missing": "invalid_ciphertext",
    "degree 4096 parameters": "invalid_ciphertext",
    "other coefficient moduli": "invalid_ciphertext",
    "a square (three polynomials)": "invalid_ciphertext",
    "a lower level": "wrong_parameters",
    "NTT flag cleared": "invalid_ciphertext",
    "NTT byte cleared": "invalid_ciphertext",
    "scale 2^30": "wrong_scale",
    "scale field 2^200": "wrong_scale",
    "scale field NaN": "wrong_scale",
    "zstd bomb (64 MiB of zeros)": "invalid_ciphertext",
    "zlib bomb (64 MiB of zeros)": "invalid_ciphertext",
    "a public key": "invalid_ciphertext",
    "a secret key": "invalid_ciphertext",
    "a TenSEAL vector": "invalid_ciphertext",
}


@pytest.fixture(scope="module")
def hostile(seal_client, keys) -> dict[str, bytes]:
    return named_seal_hostile_blobs(seal_client, keys)


def seal_item(blob: bytes) -> dict[str, str]:
    return {
        "metric_type": "word_count",
        "encrypted_value": base64.b64encode(blob).decode(),
        "timestamp": "2024-05-01T08:30:00Z",
    }


@pytest.mark.slow
def test_crafted_seal_blobs_are_refused_by_a_process_that_survives(hostile):
    names = list(hostile)

    returncode, codes = validate_in_child([hostile[name] for name in names], SEAL_8192)

    assert returncode == 0
    assert dict(zip(names, codes, strict=True)) == {name: EXPECTED_CODES[name] for name in names}


@pytest.mark.slow
@pytest.mark.parametrize(("compression", "seed"), [(0, 20240601), (2, 20240602)])
def test_random_mutations_never_crash_the_seal_validator(seal_client, compression, seed):
    valid = wire(seal_client.encrypt([1.0]), minor=1, compression=compression)
    blobs = mutations(valid, 1000, seed=seed)

    returncode, codes = validate_in_child(blobs, SEAL_8192)

    assert returncode == 0
    assert len(codes) == 1000
    assert codes.count("accepted") < 200  # mutations deep in the payload may stay valid


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(EXPECTED_CODES))
def test_each_crafted_seal_blob_is_a_422_naming_its_index(
    seal_alice, api_alice, seal_client, hostile, name
):
    good = seal_item(seal_client.encrypt([1.0]))

    response = api_alice.post(
        "/api/encryption/metrics", {"metrics": [good, seal_item(hostile[name])]}, format="json"
    )

    body = response.json()
    assert (response.status_code, body["code"], body["index"]) == (422, EXPECTED_CODES[name], 1)
    assert not EncryptedMetric.objects.exists()


@pytest.mark.django_db
def test_the_worker_still_sums_after_every_hostile_seal_upload(
    seal_alice, api_alice, seal_client, hostile
):
    for blob in hostile.values():
        api_alice.post("/api/encryption/metrics", {"metrics": [seal_item(blob)]}, format="json")
    items = [seal_item(seal_client.encrypt([2.0])) for _ in range(2)]
    api_alice.post("/api/encryption/metrics", {"metrics": items}, format="json")

    response = api_alice.post(
        "/api/encryption/aggregate",
        {"metric_type": "word_count", "operation": "sum"},
        format="json",
    )

    assert seal_client.decrypt(response.json()["encrypted_result"])[0] == pytest.approx(
        4.0, abs=1e-4
    )

"""Every hostile ciphertext is a 422 and no worker dies.

Crafted blobs are first run through the server's validation in a child process (a
segfault there fails the test instead of killing the run); the API tests then post them.
"""

import base64

import pytest

from analytics.models import EncryptedMetric
from analytics.tests.conftest import metric_item
from analytics.tests.hostile import mutations, named_hostile_blobs, validate_in_child

EXPECTED_CODES = {
    "sizes but no ciphertext (0a 01 08)": "invalid_ciphertext",
    "empty": "invalid_ciphertext",
    "garbage": "invalid_ciphertext",
    "text": "invalid_ciphertext",
    "truncated to 3 bytes": "invalid_ciphertext",
    "truncated to 20 bytes": "invalid_ciphertext",
    "truncated by half": "invalid_ciphertext",
    "truncated by one byte": "invalid_ciphertext",
    "degree 4096 parameters": "wrong_scale",
    "other coefficient moduli": "invalid_ciphertext",
    "a product (lower level)": "wrong_parameters",
    "1,000 ciphertexts in one vector": "invalid_ciphertext",
    "two ciphertexts, one size": "invalid_ciphertext",
    "one ciphertext, two sizes": "invalid_ciphertext",
    "size larger than the slots": "invalid_ciphertext",
    "size zero": "invalid_ciphertext",
    "scale 2^30": "wrong_scale",
    "scale field 2^200": "wrong_scale",
    "scale field says 2^40, ciphertext 2^30": "wrong_scale",
    "no scale field": "wrong_scale",
    "NTT flag cleared": "invalid_ciphertext",
    "huge SEAL header size field": "invalid_ciphertext",
    "a private context": "invalid_ciphertext",
    "a public context": "invalid_ciphertext",
}


@pytest.fixture(scope="module")
def hostile(keys, small_keys) -> dict[str, bytes]:
    return named_hostile_blobs(keys, small_keys)


@pytest.mark.slow
def test_crafted_blobs_are_refused_by_a_process_that_survives(hostile):
    names = list(hostile)

    returncode, codes = validate_in_child([hostile[name] for name in names])

    assert returncode == 0
    assert dict(zip(names, codes, strict=True)) == {name: EXPECTED_CODES[name] for name in names}


@pytest.mark.slow
def test_two_thousand_random_mutations_never_crash_the_validator(keys):
    blobs = mutations(keys.encrypt([1.0]), 2000, seed=20240501)

    returncode, codes = validate_in_child(blobs)

    assert returncode == 0
    assert len(codes) == 2000
    assert codes.count("accepted") < 200  # mutations deep in the payload may stay valid


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(EXPECTED_CODES))
def test_each_crafted_blob_is_a_422_naming_its_index(keyed_alice, api_alice, keys, hostile, name):
    good = metric_item(keys, [1.0], "2024-05-01T08:30:00Z")
    bad = {**good, "encrypted_value": base64.b64encode(hostile[name]).decode()}

    response = api_alice.post("/api/encryption/metrics", {"metrics": [good, bad]}, format="json")

    body = response.json()
    assert (response.status_code, body["code"], body["index"]) == (422, EXPECTED_CODES[name], 1)
    assert not EncryptedMetric.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encrypted_value", "code"),
    [
        ("!!! not base64 !!!", "invalid_base64"),
        ("QUJ", "invalid_base64"),
        (base64.b64encode(b"\0" * (8 * 1024 * 1024)).decode(), "ciphertext_too_large"),
        (12345, "invalid_metric"),
        (None, "invalid_metric"),
    ],
    ids=["bad base64", "bad padding", "8 MiB", "a number", "null"],
)
def test_malformed_values_are_422(keyed_alice, api_alice, keys, encrypted_value, code):
    item = {**metric_item(keys, [1.0], "2024-05-01T08:30:00Z"), "encrypted_value": encrypted_value}

    response = api_alice.post("/api/encryption/metrics", {"metrics": [item]}, format="json")

    assert (response.status_code, response.json()["code"]) == (422, code)


@pytest.mark.django_db
def test_the_worker_still_sums_after_every_hostile_upload(keyed_alice, api_alice, keys, hostile):
    for blob in hostile.values():
        item = {**metric_item(keys, [1.0], "2024-05-01T08:30:00Z"), "encrypted_value": ""}
        item["encrypted_value"] = base64.b64encode(blob).decode()
        api_alice.post("/api/encryption/metrics", {"metrics": [item]}, format="json")
    items = [metric_item(keys, [2.0], "2024-05-01T08:30:00Z") for _ in range(2)]
    api_alice.post("/api/encryption/metrics", {"metrics": items}, format="json")

    response = api_alice.post(
        "/api/encryption/aggregate",
        {"metric_type": "word_count", "operation": "sum"},
        format="json",
    )

    assert keys.decrypt(response.json()["encrypted_result"])[0] == pytest.approx(4.0, rel=1e-6)

"""A raw SEAL PublicKey is validated under the policy's parameters; a SecretKey is never kept."""

import base64
import struct

import pytest
import tenseal.sealapi as sealapi
import zstandard

from analytics.messages import AnalyticsMessages as Msg
from analytics.models import PublicContext
from analytics.services.keys import public_context_install
from analytics.tests.conftest import key_install_refused
from analytics.tests.sealkeys import make_seal_client, saved, wire

pytestmark = pytest.mark.django_db

CONSENT = "2024-05-01T08:00:00Z"


def _header(size: int, compression: int = 0) -> bytes:
    return struct.pack("<HBBBBHQ", 0xA15E, 16, 4, 1, compression, 0, size)


def test_a_secret_key_is_refused_without_being_stored(alice, seal_client):
    error = key_install_refused(alice, seal_client.secret_bytes)

    assert (error.code, error.detail) == ("secret_key_present", Msg.SEAL_PRIVATE_KEY)


def test_a_compressed_secret_key_is_refused_too(alice, seal_client):
    key = wire(saved(seal_client.secret_key), minor=1, compression=2, nested_at=48)

    assert key_install_refused(alice, key).code == "secret_key_present"


def test_a_secret_key_on_a_tier_upgrade_leaves_the_tier_unchanged(api_charlie, seal_client):
    body = {
        "privacy_tier": "analytics_sync",
        "consent_timestamp": CONSENT,
        "he_public_key": base64.b64encode(seal_client.secret_bytes).decode(),
    }

    response = api_charlie.put("/api/users/me/privacy", body, format="json")

    assert (response.status_code, response.json()["code"]) == (422, "secret_key_present")
    privacy = api_charlie.get("/api/users/me/privacy").json()
    assert (privacy["current_tier"], privacy["analytics_key_id"]) == ("local_only", None)


def test_a_public_key_upgrades_the_tier(api_charlie, seal_client):
    body = {
        "privacy_tier": "analytics_sync",
        "consent_timestamp": CONSENT,
        "he_public_key": seal_client.public_b64,
    }

    response = api_charlie.put("/api/users/me/privacy", body, format="json")

    assert response.status_code == 200
    assert PublicContext.objects.get().format == "seal"


def test_other_coefficient_moduli_are_not_allowed(alice):
    client = make_seal_client(8192, coeff_mod_bit_sizes=[60, 40, 60])

    assert key_install_refused(alice, client.public_bytes).code == "parameters_not_allowed"


def test_a_bfv_public_key_is_not_allowed(alice):
    parameters = sealapi.EncryptionParameters(sealapi.SCHEME_TYPE.BFV)
    parameters.set_poly_modulus_degree(4096)
    parameters.set_coeff_modulus(
        sealapi.CoeffModulus.BFVDefault(4096, sealapi.SEC_LEVEL_TYPE.TC128)
    )
    parameters.set_plain_modulus(sealapi.PlainModulus.Batching(4096, 20))
    context = sealapi.SEALContext(parameters, True, sealapi.SEC_LEVEL_TYPE.TC128)
    public = sealapi.PublicKey()
    sealapi.KeyGenerator(context).create_public_key(public)

    assert key_install_refused(alice, saved(public)).code == "parameters_not_allowed"


def test_every_allowed_degree_is_accepted(alice):
    for degree in (4096, 16384):
        public_context_install(user=alice, key_bytes=make_seal_client(degree).public_bytes)

    degrees = PublicContext.objects.filter(user=alice).values_list("poly_modulus_degree", flat=True)
    assert sorted(degrees) == [4096, 16384]


def test_relinearization_keys_are_not_a_public_key(alice, seal_client):
    relin = sealapi.RelinKeys()
    sealapi.KeyGenerator(seal_client.context, seal_client.secret_key).create_relin_keys(relin)

    assert key_install_refused(alice, saved(relin)).code == "invalid_public_key"


def test_a_ciphertext_is_not_a_public_key(alice, seal_client):
    assert key_install_refused(alice, seal_client.encrypt([1.0])).code == "parameters_not_allowed"


@pytest.mark.parametrize(
    "blob",
    [
        _header(16),
        _header(20) + b"\0\0\0\0",
        _header(16 + 4096) + bytes(4096),
        _header(17, compression=2) + b"\x28",
        _header(15),
    ],
    ids=["header only", "four zero bytes", "zeros", "cut zstd frame", "size below header"],
)
def test_malformed_seal_objects_are_invalid(alice, blob):
    assert key_install_refused(alice, blob).code == "invalid_public_key"


def test_a_truncated_public_key_is_invalid(alice, seal_client):
    key = seal_client.public_bytes
    cut = key[:16] + key[16 : len(key) // 2]
    cut = _header(len(cut), compression=key[5]) + cut[16:]

    assert key_install_refused(alice, cut).code == "invalid_public_key"


def test_a_decompression_bomb_is_refused_without_inflating_it(alice):
    bomb = zstandard.ZstdCompressor(level=19).compress(bytes(256 * 1024 * 1024))

    error = key_install_refused(alice, _header(16 + len(bomb), compression=2) + bomb)

    assert error.code == "invalid_public_key"
    assert len(bomb) < 64 * 1024

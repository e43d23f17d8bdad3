"""Client-side CKKS keys for the analytics tests, built once per session (key generation is slow).

The tests play the client: they hold the secret contexts, encrypt what they upload and
decrypt what the server returns. The server only ever sees the public serializations.
"""

import base64
from dataclasses import dataclass
from typing import Any

import pytest
import tenseal as ts

from analytics.formats import ckks
from analytics.models import PublicContext
from analytics.services.keys import public_context_install
from reflective.errors import ApiError


@dataclass(frozen=True)
class ClientKeys:
    """A client's CKKS context with its secret key, and the public bytes it uploads."""

    secret: ts.Context
    public_bytes: bytes

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_bytes).decode("ascii")

    def encrypt(self, values: list[float]) -> bytes:
        return bytes(ts.ckks_vector(self.secret, values).serialize())

    def encrypt_at_scale(self, values: list[float], scale: float) -> bytes:
        return bytes(ts.ckks_vector(self.secret, values, scale=scale).serialize())

    def decrypt(self, blob: bytes | str) -> list[float]:
        raw = base64.b64decode(blob) if isinstance(blob, str) else blob
        return list(ts.ckks_vector_from(self.secret, raw).decrypt())


def make_client_keys(poly_modulus_degree: int = ckks.DEFAULT_POLY_MODULUS_DEGREE) -> ClientKeys:
    params = ckks.parameter_set(poly_modulus_degree)
    context = ts.context(
        ts.SCHEME_TYPE.CKKS, poly_modulus_degree, coeff_mod_bit_sizes=params.coeff_mod_bit_sizes
    )
    context.global_scale = params.scale
    public = context.serialize(save_secret_key=False, save_relin_keys=False)
    return ClientKeys(secret=context, public_bytes=bytes(public))


@pytest.fixture(scope="session")
def keys() -> ClientKeys:
    return make_client_keys()


@pytest.fixture(scope="session")
def other_keys() -> ClientKeys:
    """A second key pair with the same parameters (a re-key, or another person)."""
    return make_client_keys()


@pytest.fixture(scope="session")
def small_keys() -> ClientKeys:
    return make_client_keys(4096)


@pytest.fixture
def keyed_alice(alice, keys):
    """alice (full_sync) with her public context installed as the current key epoch."""
    from analytics.services.keys import public_context_install

    public_context_install(user=alice, key_bytes=keys.public_bytes)
    return alice


def metric_item(
    keys: ClientKeys, values: list[float], timestamp: str, **extra: object
) -> dict[str, Any]:
    """One upload item as a client sends it."""
    return {
        "metric_type": extra.pop("metric_type", "word_count"),
        "encrypted_value": base64.b64encode(keys.encrypt(values)).decode("ascii"),
        "timestamp": timestamp,
        **extra,
    }


@pytest.fixture(scope="session")
def seal_client():
    """A node-seal-like client: raw SEAL keys, uploads written as SEAL 4.1 with zlib."""
    from analytics.tests.sealkeys import make_seal_client

    return make_seal_client()


@pytest.fixture
def seal_alice(alice, seal_client):
    """alice (full_sync) with a raw SEAL PublicKey as her current key epoch."""
    from analytics.services.keys import public_context_install

    public_context_install(user=alice, key_bytes=seal_client.public_bytes)
    return alice


def key_install_refused(user: Any, key_bytes: bytes) -> ApiError:
    """Install ``key_bytes`` as the user's key, which must be refused (422) and not stored."""
    with pytest.raises(ApiError) as caught:
        public_context_install(user=user, key_bytes=key_bytes)
    assert caught.value.status == 422
    assert not PublicContext.objects.filter(user=user).exists()
    return caught.value

import base64

import pytest
import tenseal as ts


@pytest.fixture(scope="session")
def he_keys() -> ts.Context:
    """A client's CKKS context (secret key included), made once per test session."""
    context = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[60, 40, 40, 60])
    context.global_scale = 2**40
    return context


@pytest.fixture(scope="session")
def public_key_b64(he_keys: ts.Context) -> str:
    public = he_keys.serialize(
        save_public_key=True,
        save_secret_key=False,
        save_galois_keys=False,
        save_relin_keys=False,
    )
    return base64.b64encode(public).decode()


@pytest.fixture(scope="session")
def secret_key_b64(he_keys: ts.Context) -> str:
    return base64.b64encode(he_keys.serialize(save_secret_key=True)).decode()

"""CKKS parameter sets the server accepts, and one cached keyless context per set."""

from functools import cache

import tenseal as ts

DEFAULT_POLY_MODULUS_DEGREE = 8192
PARAMETER_SETS: dict[int, list[int]] = {
    4096: [40, 20, 40],
    8192: [60, 40, 40, 60],
    16384: [60, 40, 40, 40, 40, 60],
}
SCALE_BITS = {4096: 20, 8192: 40, 16384: 40}


@cache
def parameters_context(poly_modulus_degree: int) -> ts.Context:
    """A context holding only the encryption parameters: enough to load and add ciphertexts.

    Built once per process and parameter set. Keys generated while building it are dropped
    by serializing without them, so the server never holds any key material.
    """
    with_keys = ts.context(
        ts.SCHEME_TYPE.CKKS,
        poly_modulus_degree,
        coeff_mod_bit_sizes=PARAMETER_SETS[poly_modulus_degree],
    )
    keyless = with_keys.serialize(
        save_public_key=False,
        save_secret_key=False,
        save_galois_keys=False,
        save_relin_keys=False,
    )
    context = ts.context_from(keyless)
    context.global_scale = 2 ** SCALE_BITS[poly_modulus_degree]
    return context

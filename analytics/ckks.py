"""CKKS parameter sets the server accepts, and one cached keyless context per set."""

from dataclasses import dataclass
from functools import cache

import tenseal as ts

DEFAULT_POLY_MODULUS_DEGREE = 8192
PARAMETER_SETS: dict[int, list[int]] = {
    4096: [40, 20, 40],
    8192: [60, 40, 40, 60],
    16384: [60, 40, 40, 40, 40, 60],
}
SCALE_BITS = {4096: 20, 8192: 40, 16384: 40}


@dataclass(frozen=True)
class ParameterSet:
    poly_modulus_degree: int
    coeff_mod_bit_sizes: list[int]
    scale_bits: int

    @property
    def scale(self) -> float:
        return float(2**self.scale_bits)

    @property
    def slot_count(self) -> int:
        """How many values one ciphertext packs: half the polynomial degree."""
        return self.poly_modulus_degree // 2


def parameter_set(poly_modulus_degree: int) -> ParameterSet:
    return ParameterSet(
        poly_modulus_degree, PARAMETER_SETS[poly_modulus_degree], SCALE_BITS[poly_modulus_degree]
    )


def allowed_parameter_sets() -> list[ParameterSet]:
    return [parameter_set(degree) for degree in sorted(PARAMETER_SETS)]


@cache
def parameters_context(poly_modulus_degree: int) -> ts.Context:
    """A context holding only the encryption parameters: enough to load and add ciphertexts.

    Built once per process and parameter set. Keys generated while building it are dropped
    by serializing without them, so the server never holds any key material. Never call
    ``serialize()`` on it: TenSEAL crashes serializing a context without a public key.
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


@cache
def key_parms_id(poly_modulus_degree: int) -> tuple[int, ...]:
    """SEAL's hash of the full parameter set (degree and every coefficient modulus prime)."""
    seal = parameters_context(poly_modulus_degree).seal_context().data
    return tuple(seal.key_parms_id())


@cache
def first_parms_id(poly_modulus_degree: int) -> tuple[int, ...]:
    """The parameter level fresh ciphertexts are encrypted at; every upload must be there."""
    seal = parameters_context(poly_modulus_degree).seal_context().data
    return tuple(seal.first_parms_id())

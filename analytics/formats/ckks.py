"""CKKS parameter sets the server accepts, and one cached keyless context per set."""

import os
import struct
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tenseal as ts
import tenseal.sealapi as sealapi

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

    Built once per process and parameter set, from the parameters alone: no key is ever
    generated, so the server holds no key material and spends no memory on key generation.
    Never call ``serialize()`` on it: TenSEAL crashes serializing a context without keys.
    """
    context = ts.context_from(_keyless_context_bytes(poly_modulus_degree))
    context.global_scale = 2 ** SCALE_BITS[poly_modulus_degree]
    return context


def keyless_context_ready() -> bool:
    """Readiness: TenSEAL loads and the default keyless context is built (and cached)."""
    return bool(parameters_context(DEFAULT_POLY_MODULUS_DEGREE).is_public())


def _keyless_context_bytes(poly_modulus_degree: int) -> bytes:
    """A TenSEALContextProto with the SEAL encryption parameters and no keys.

    Field 1 holds SEAL's serialized EncryptionParameters; field 2 a public part with only
    TenSEAL's default flags (auto relinearize, rescale, mod switch) and an unset scale.
    """
    parameters = sealapi.EncryptionParameters(sealapi.SCHEME_TYPE.CKKS)
    parameters.set_poly_modulus_degree(poly_modulus_degree)
    parameters.set_coeff_modulus(
        sealapi.CoeffModulus.Create(poly_modulus_degree, PARAMETER_SETS[poly_modulus_degree])
    )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "parameters")
        parameters.save(path)  # the binding only writes to files
        encoded = Path(path).read_bytes()
    public = b"\x10\x07\x19" + struct.pack("<d", -1.0)
    return _field(1, encoded) + _field(2, public)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (payloads here stay far below 2^14 bytes)."""
    length = len(payload)
    varint = bytes([length]) if length < 0x80 else bytes([length & 0x7F | 0x80, length >> 7])
    return bytes([number << 3 | 2]) + varint + payload


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

"""Raw Microsoft SEAL objects (node-seal, native clients): keys, ciphertexts and their sums.

The format ``PublicKey.save()`` and ``Ciphertext.save()`` write.

Untrusted bytes reach SEAL only after ``sealwire`` has checked their header, bounded their
decompression and checked their layout; SEAL's own ``load`` then validates every member
against the policy's context, and the loaded object is checked again (parms_id, two
polynomials, NTT form, scale). The Python binding loads and saves through file paths only,
so objects pass through an anonymous in-memory file, never the disk.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, Self

import tenseal.sealapi as sealapi

from analytics.formats import ckks, sealwire
from analytics.formats.base import KeyFormat, PublicContextInfo
from analytics.formats.errors import BlobRejectedError, invalid_ciphertext, invalid_public_key
from analytics.formats.sealwire import CIPHERTEXT_MEMBERS, PLAINTEXT_MEMBERS, WireRejectedError
from analytics.messages import AnalyticsMessages as Msg


class SealFormat:
    """Implements ``base.CiphertextFormat`` for raw SEAL PublicKeys and Ciphertexts."""

    key_format = KeyFormat.SEAL

    def recognizes(self, blob: bytes) -> bool:
        return sealwire.is_seal_object(blob)

    def public_context_inspect(self, key_bytes: bytes) -> PublicContextInfo:
        degree, version = public_key_inspect(key_bytes)
        return PublicContextInfo(KeyFormat.SEAL, degree, version)

    def ciphertext_load(
        self, blob: bytes, *, poly_modulus_degree: int, seal_version: str, vector_size: int | None
    ) -> "SealVector":
        """``vector_size`` is not checked: a SEAL ciphertext always carries every slot."""
        return ciphertext_load(
            blob, poly_modulus_degree=poly_modulus_degree, seal_version=seal_version
        )

    def stored_vector(
        self, blob: bytes, *, poly_modulus_degree: int, seal_version: str
    ) -> "SealVector":
        return stored_vector(
            blob, poly_modulus_degree=poly_modulus_degree, seal_version=seal_version
        )


SEAL = SealFormat()


@contextmanager
def _memory_path() -> Iterator[str]:
    """A path to an anonymous in-memory file (a temporary file where memfd is missing)."""
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create("seal-object", os.MFD_CLOEXEC)
        try:
            yield f"/proc/self/fd/{descriptor}"
        finally:
            os.close(descriptor)
        return
    with tempfile.TemporaryDirectory() as folder:
        yield os.path.join(folder, "seal-object")


def _seal_load(kind: type[Any], blob: bytes, context: Any) -> Any:
    with _memory_path() as path:
        with open(path, "wb") as handle:
            handle.write(blob)
        loaded = kind()
        loaded.load(context, path)
    return loaded


def _seal_save(item: Any) -> bytes:
    with _memory_path() as path:
        item.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def seal_context(poly_modulus_degree: int) -> Any:
    return ckks.parameters_context(poly_modulus_degree).seal_context().data


def _parms_id(body: bytes) -> tuple[int, ...]:
    return tuple(int.from_bytes(body[i : i + 8], "little") for i in range(0, 32, 8))


# --- public keys -----------------------------------------------------------------------


def _public_key_members_max() -> int:
    return max(
        sealwire.ciphertext_members_max(p.poly_modulus_degree, len(p.coeff_mod_bit_sizes))
        for p in ckks.allowed_parameter_sets()
    )


def public_key_inspect(key_bytes: bytes) -> tuple[int, str]:
    """Validate a SEAL PublicKey; returns its parameter set's degree and its SEAL version.

    A SecretKey is recognized by its layout and refused before SEAL parses it.
    """
    try:
        header, body = sealwire.members(key_bytes, limit=_public_key_members_max())
    except WireRejectedError:
        raise invalid_public_key() from None
    if not sealwire.nested_array_ok(body, CIPHERTEXT_MEMBERS):
        if sealwire.nested_array_ok(body, PLAINTEXT_MEMBERS):
            raise BlobRejectedError("secret_key_present", Msg.SEAL_PRIVATE_KEY)
        raise invalid_public_key()
    degree = next((d for d in ckks.PARAMETER_SETS if ckks.key_parms_id(d) == _parms_id(body)), None)
    if degree is None:
        raise BlobRejectedError("parameters_not_allowed", Msg.PARAMETERS_NOT_ALLOWED)
    local = sealwire.restamped(body, CIPHERTEXT_MEMBERS, sealwire.LOCAL_VERSION, compress=False)
    try:
        key = _seal_load(sealapi.PublicKey, local, seal_context(degree))
    except Exception:  # noqa: BLE001 - SEAL raises assorted types for bad input
        raise invalid_public_key() from None
    polynomials = key.data()
    if polynomials.size() != 2 or not polynomials.is_ntt_form():
        raise invalid_public_key()
    return degree, header.version


# --- ciphertexts -----------------------------------------------------------------------


def _ciphertext_members_max(params: ckks.ParameterSet) -> int:
    # Fresh ciphertexts sit at the first level: every prime but the special one.
    moduli = len(params.coeff_mod_bit_sizes) - 1
    return sealwire.ciphertext_members_max(params.poly_modulus_degree, moduli)


def _ciphertext_read(blob: bytes, params: ckks.ParameterSet) -> Any:
    try:
        _, body = sealwire.members(blob, limit=_ciphertext_members_max(params))
    except WireRejectedError as rejected:
        raise invalid_ciphertext(str(rejected)) from None
    if not sealwire.nested_array_ok(body, CIPHERTEXT_MEMBERS):
        raise invalid_ciphertext("it is not a SEAL Ciphertext")
    local = sealwire.restamped(body, CIPHERTEXT_MEMBERS, sealwire.LOCAL_VERSION, compress=False)
    try:
        return _seal_load(sealapi.Ciphertext, local, seal_context(params.poly_modulus_degree))
    except Exception:  # noqa: BLE001 - SEAL raises assorted types for bad input
        raise invalid_ciphertext("SEAL could not load it") from None


def ciphertext_load(blob: bytes, *, poly_modulus_degree: int, seal_version: str) -> "SealVector":
    """Load one uploaded SEAL Ciphertext: exactly one fresh CKKS ciphertext of the epoch."""
    params = ckks.parameter_set(poly_modulus_degree)
    ciphertext = _ciphertext_read(blob, params)
    if tuple(ciphertext.parms_id()) != ckks.first_parms_id(poly_modulus_degree):
        raise BlobRejectedError("wrong_parameters", Msg.WRONG_PARAMETERS)
    if ciphertext.size() != 2 or not ciphertext.is_ntt_form():
        raise invalid_ciphertext("it must be a fresh two-polynomial ciphertext in NTT form")
    if ciphertext.scale != params.scale:
        raise BlobRejectedError("wrong_scale", Msg.WRONG_SCALE.format(bits=params.scale_bits))
    return SealVector(ciphertext, poly_modulus_degree, seal_version)


def stored_vector(blob: bytes, *, poly_modulus_degree: int, seal_version: str) -> "SealVector":
    """A stored metric or rollup (validated when it was stored) as a summable vector."""
    ciphertext = _ciphertext_read(blob, ckks.parameter_set(poly_modulus_degree))
    return SealVector(ciphertext, poly_modulus_degree, seal_version)


@cache
def _evaluator(poly_modulus_degree: int) -> Any:
    return sealapi.Evaluator(seal_context(poly_modulus_degree))


@cache
def _encoder(poly_modulus_degree: int) -> Any:
    return sealapi.CKKSEncoder(seal_context(poly_modulus_degree))


class SealVector:
    """A SEAL ciphertext that sums like a TenSEAL vector and saves in its client's version."""

    def __init__(self, ciphertext: Any, poly_modulus_degree: int, seal_version: str) -> None:
        self.ciphertext = ciphertext
        self.poly_modulus_degree = poly_modulus_degree
        self.seal_version = seal_version

    def _like(self, ciphertext: Any) -> Self:
        return type(self)(ciphertext, self.poly_modulus_degree, self.seal_version)

    def __add__(self, other: Self) -> Self:
        result = sealapi.Ciphertext()
        _evaluator(self.poly_modulus_degree).add(self.ciphertext, other.ciphertext, result)
        return self._like(result)

    def __neg__(self) -> Self:
        result = sealapi.Ciphertext()
        _evaluator(self.poly_modulus_degree).negate(self.ciphertext, result)
        return self._like(result)

    def __mul__(self, factor: float) -> Self:
        """Every slot times ``factor``, rescaled to the next level, as TenSEAL does."""
        plain = sealapi.Plaintext()
        scale = ckks.parameter_set(self.poly_modulus_degree).scale
        _encoder(self.poly_modulus_degree).encode(factor, self.ciphertext.parms_id(), scale, plain)
        evaluator = _evaluator(self.poly_modulus_degree)
        product = sealapi.Ciphertext()
        evaluator.multiply_plain(self.ciphertext, plain, product)
        evaluator.rescale_to_next_inplace(product)
        return self._like(product)

    def size(self) -> int:
        """A SEAL ciphertext always carries every slot; clients use as many as they like."""
        return ckks.parameter_set(self.poly_modulus_degree).slot_count

    def serialize(self) -> bytes:
        """The ciphertext as ``Ciphertext.save()`` of the client's SEAL version writes it."""
        saved = _seal_save(self.ciphertext)
        _, body = sealwire.members(saved, limit=len(saved) * 64)
        version = sealwire.version_parse(self.seal_version)
        return sealwire.restamped(body, CIPHERTEXT_MEMBERS, version, compress=True)

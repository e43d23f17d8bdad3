"""TenSEAL's protobuf serialization (Python clients): contexts and CKKS vectors.

TenSEAL trusts its own protobuf messages, so the wire structure is read and checked here
(``protowire``) before TenSEAL parses anything, and the loaded objects are checked again.
"""

import struct

import tenseal as ts

from analytics.formats import ckks, sealwire
from analytics.formats.base import EncryptedVector, KeyFormat, PublicContextInfo
from analytics.formats.errors import BlobRejectedError, invalid_ciphertext
from analytics.formats.protowire import FIXED64, LENGTH_DELIMITED, VARINT, WireError, read_fields
from analytics.formats.protowire import read_packed_varints as packed
from analytics.messages import AnalyticsMessages as Msg

_invalid = invalid_ciphertext


class TenSEALFormat:
    """Implements ``base.CiphertextFormat`` for TenSEAL contexts and CKKSVectors."""

    key_format = KeyFormat.TENSEAL

    def recognizes(self, blob: bytes) -> bool:
        """A TenSEAL protobuf starts with a field tag, never SEAL's magic (0x5E...)."""
        return not sealwire.is_seal_object(blob)

    def public_context_inspect(self, key_bytes: bytes) -> PublicContextInfo:
        return PublicContextInfo(KeyFormat.TENSEAL, _tenseal_context_degree(key_bytes))

    def ciphertext_load(
        self, blob: bytes, *, poly_modulus_degree: int, seal_version: str, vector_size: int | None
    ) -> EncryptedVector:
        return _tenseal_vector_load(blob, poly_modulus_degree, vector_size)

    def stored_vector(
        self, blob: bytes, *, poly_modulus_degree: int, seal_version: str
    ) -> EncryptedVector:
        vector: EncryptedVector = ts.ckks_vector_from(
            ckks.parameters_context(poly_modulus_degree), blob
        )
        return vector


TENSEAL = TenSEALFormat()


def _fields(blob: bytes, code: str, detail: str) -> dict[int, list[bytes | int]]:
    """Top-level protobuf fields by number; malformed wire data is rejected with ``code``."""
    try:
        fields = read_fields(blob)
    except WireError:
        raise BlobRejectedError(code, detail) from None
    grouped: dict[int, list[bytes | int]] = {}
    for field in fields:
        grouped.setdefault(field.number, []).append(field.value)
    return grouped


def _expect_wire(blob: bytes, allowed: dict[int, int], code: str, detail: str) -> None:
    """Every field number must be known and carry the wire type the schema gives it."""
    try:
        fields = read_fields(blob)
    except WireError:
        raise BlobRejectedError(code, detail) from None
    for field in fields:
        if allowed.get(field.number) != field.wire_type:
            raise BlobRejectedError(code, detail)


def seal_object_ok(blob: bytes) -> bool:
    """A SEAL-serialized object: valid header whose size field is exactly the blob length."""
    return sealwire.header_read(blob) is not None


# TenSEALContextProto: 1 encryption_parameters, 2 public_context, 3 private_context,
# 4 encryption_type. TenSEALPublicProto: 1 public_key, 2 auto_flags, 3 scale,
# 4 relin_keys, 5 galois_keys.
_CONTEXT_WIRE = {1: LENGTH_DELIMITED, 2: LENGTH_DELIMITED, 3: LENGTH_DELIMITED, 4: VARINT}
_PUBLIC_WIRE = {
    1: LENGTH_DELIMITED,
    2: VARINT,
    3: FIXED64,
    4: LENGTH_DELIMITED,
    5: LENGTH_DELIMITED,
}


def _tenseal_context_structure(key_bytes: bytes) -> None:
    invalid = ("invalid_public_key", Msg.INVALID_PUBLIC_KEY)
    _expect_wire(key_bytes, _CONTEXT_WIRE, *invalid)
    top = _fields(key_bytes, *invalid)
    if top.get(3):
        raise BlobRejectedError("secret_key_present", Msg.PRIVATE_CONTEXT)
    if any(len(values) != 1 for values in top.values()) or not top.get(1) or not top.get(2):
        raise BlobRejectedError(*invalid)
    public = top[2][0]
    assert isinstance(public, bytes)
    _expect_wire(public, _PUBLIC_WIRE, *invalid)
    public_fields = _fields(public, *invalid)
    if any(len(values) != 1 for values in public_fields.values()):
        raise BlobRejectedError(*invalid)
    if public_fields.get(5, [b""])[0]:
        raise BlobRejectedError("galois_keys_present", Msg.GALOIS_KEYS_PRESENT)
    sealed = [top[1][0], public_fields.get(1, [b""])[0], public_fields.get(4, [None])[0]]
    if not all(seal_object_ok(blob) for blob in sealed if isinstance(blob, bytes)):
        raise BlobRejectedError(*invalid)


def _tenseal_context_degree(key_bytes: bytes) -> int:
    _tenseal_context_structure(key_bytes)
    try:
        context = ts.context_from(bytes(key_bytes))
    except Exception:  # noqa: BLE001 - TenSEAL raises assorted types for bad input
        raise BlobRejectedError("invalid_public_key", Msg.INVALID_PUBLIC_KEY) from None
    if context.has_secret_key() or context.is_private():
        raise BlobRejectedError("secret_key_present", Msg.PRIVATE_CONTEXT)
    if not context.has_public_key():
        raise BlobRejectedError("invalid_public_key", Msg.NO_PUBLIC_KEY)
    seal = context.seal_context().data
    parms = seal.key_context_data().parms()
    if parms.scheme().name != "CKKS":
        raise BlobRejectedError("parameters_not_allowed", Msg.NOT_CKKS)
    degree = int(parms.poly_modulus_degree())
    if degree not in ckks.PARAMETER_SETS or tuple(seal.key_parms_id()) != ckks.key_parms_id(degree):
        raise BlobRejectedError("parameters_not_allowed", Msg.PARAMETERS_NOT_ALLOWED)
    return degree


# CKKSVectorProto: 1 sizes (packed uint32), 2 ciphertexts, 3 scale.
_VECTOR_WIRE = {1: LENGTH_DELIMITED, 2: LENGTH_DELIMITED, 3: FIXED64}


def tenseal_vector_structure(blob: bytes, *, params: ckks.ParameterSet) -> int:
    """Check a CKKSVectorProto on the wire; returns the vector size it declares.

    Exactly one chunk: one size and one ciphertext. TenSEAL itself reads past its buffers
    when the two lists disagree, so this must hold before it parses anything.
    """
    try:
        fields = read_fields(blob)
    except WireError:
        raise _invalid("malformed serialization") from None
    if any(_VECTOR_WIRE.get(field.number) != field.wire_type for field in fields):
        raise _invalid("unexpected fields")
    by_number = {number: [f.value for f in fields if f.number == number] for number in (1, 2, 3)}
    if len(by_number[1]) != 1 or len(by_number[2]) != 1 or len(by_number[3]) > 1:
        raise _invalid("it must hold exactly one ciphertext")
    sizes_blob, ciphertext = by_number[1][0], by_number[2][0]
    assert isinstance(sizes_blob, bytes)
    assert isinstance(ciphertext, bytes)
    try:
        sizes = packed(sizes_blob)
    except WireError:
        raise _invalid("malformed serialization") from None
    if len(sizes) != 1:
        raise _invalid("it must hold exactly one ciphertext")
    if not 1 <= sizes[0] <= params.slot_count:
        raise BlobRejectedError(
            "invalid_ciphertext",
            Msg.VECTOR_TOO_LONG.format(got=sizes[0], limit=params.slot_count),
        )
    if not seal_object_ok(ciphertext):
        raise _invalid("the SEAL ciphertext header is invalid")
    _declared_scale_check(by_number[3], params)
    return sizes[0]


def _declared_scale_check(values: list[bytes | int], params: ckks.ParameterSet) -> None:
    """The vector's own scale field (TenSEAL rescales results by it) must be the policy's."""
    raw = values[0] if values else b""
    declared = struct.unpack("<d", raw)[0] if isinstance(raw, bytes) and len(raw) == 8 else 0.0
    if declared != params.scale:
        raise BlobRejectedError("wrong_scale", Msg.WRONG_SCALE.format(bits=params.scale_bits))


def _tenseal_vector_load(
    blob: bytes, poly_modulus_degree: int, vector_size: int | None
) -> EncryptedVector:
    params = ckks.parameter_set(poly_modulus_degree)
    size = tenseal_vector_structure(blob, params=params)
    if vector_size is not None and size != vector_size:
        raise BlobRejectedError(
            "vector_size_mismatch", Msg.VECTOR_SIZE_MISMATCH.format(got=size, expected=vector_size)
        )
    try:
        vector = ts.ckks_vector_from(ckks.parameters_context(poly_modulus_degree), bytes(blob))
    except Exception:  # noqa: BLE001 - TenSEAL raises assorted types for bad input
        raise _invalid("TenSEAL could not load it") from None
    _loaded_vector_check(vector, params, size)
    loaded: EncryptedVector = vector
    return loaded


def _loaded_vector_check(vector: ts.CKKSVector, params: ckks.ParameterSet, size: int) -> None:
    chunks = vector.ciphertext()
    if len(chunks) != 1 or vector.size() != size:
        raise _invalid("it must hold exactly one ciphertext")
    chunk = chunks[0]
    if tuple(chunk.parms_id()) != ckks.first_parms_id(params.poly_modulus_degree):
        raise BlobRejectedError("wrong_parameters", Msg.WRONG_PARAMETERS)
    if chunk.size() != 2 or not chunk.is_ntt_form():
        raise _invalid("it must be a fresh two-polynomial ciphertext in NTT form")
    if chunk.scale != params.scale:
        raise BlobRejectedError("wrong_scale", Msg.WRONG_SCALE.format(bits=params.scale_bits))

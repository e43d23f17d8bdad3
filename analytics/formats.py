"""Recognize and validate uploaded keys and ciphertexts, before and after TenSEAL parses them.

Everything a client uploads is untrusted input for a C++ library that can crash the worker
on crafted blobs, so every check that can be made on the raw bytes is made first, and the
objects TenSEAL returns are checked again. Each format (``tenseal`` today) has its own small
functions behind ``public_context_inspect`` and ``ciphertext_load``, so another serialization
(raw SEAL from node-seal clients) slots in by adding a detector branch and two functions.
"""

import base64
import binascii
import struct
from dataclasses import dataclass

import tenseal as ts
from django.db import models

from analytics import ckks
from analytics.messages import AnalyticsMessages as Msg
from analytics.protowire import FIXED64, LENGTH_DELIMITED, VARINT, WireError, read_fields
from analytics.protowire import read_packed_varints as packed

# SEAL's serialization header: magic, header size, version major/minor, compression, size.
SEAL_HEADER = struct.Struct("<HBBBBHQ")
SEAL_MAGIC = 0xA15E
SEAL_VERSION_MAJOR = 4
SEAL_COMPRESSION_MODES = frozenset({0, 1, 2})  # none, zlib, zstd


class KeyFormat(models.TextChoices):
    TENSEAL = "tenseal", "TenSEAL context"


class BlobRejectedError(ValueError):
    """An uploaded key or ciphertext is refused; ``code`` and ``detail`` go to the client."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class PublicContextInfo:
    format: str
    poly_modulus_degree: int


# --- shared byte-level checks --------------------------------------------------------


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
    if len(blob) < SEAL_HEADER.size:
        return False
    magic, header_size, major, _minor, compression, reserved, size = SEAL_HEADER.unpack_from(blob)
    return (
        magic == SEAL_MAGIC
        and header_size == SEAL_HEADER.size
        and major == SEAL_VERSION_MAJOR
        and compression in SEAL_COMPRESSION_MODES
        and reserved == 0
        and size == len(blob)
    )


# --- public contexts -------------------------------------------------------------------


def detect_key_format(key_bytes: bytes) -> str:
    """Which serialization a public key upload uses (only TenSEAL contexts so far)."""
    return KeyFormat.TENSEAL


def public_context_inspect(key_bytes: bytes, *, max_bytes: int) -> PublicContextInfo:
    """Validate an uploaded public context; returns its format and parameter set.

    Order matters: the size cap and the secret-key check run on raw bytes before any
    TenSEAL call, so a secret key is refused without ever being parsed or kept.
    """
    if len(key_bytes) > max_bytes:
        raise BlobRejectedError(
            "public_key_too_large", Msg.PUBLIC_KEY_TOO_LARGE.format(limit=max_bytes)
        )
    key_format = detect_key_format(key_bytes)
    if key_format == KeyFormat.TENSEAL:
        return PublicContextInfo(key_format, _tenseal_context_degree(key_bytes))
    raise BlobRejectedError("invalid_public_key", Msg.INVALID_PUBLIC_KEY)


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


def public_key_decode(text: str, *, max_bytes: int) -> bytes:
    """Base64 text of a public context to bytes; oversize input is refused undecoded."""
    if len(text) > (max_bytes * 4) // 3 + 4:
        raise BlobRejectedError(
            "public_key_too_large", Msg.PUBLIC_KEY_TOO_LARGE.format(limit=max_bytes)
        )
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BlobRejectedError("invalid_public_key", Msg.INVALID_PUBLIC_KEY_BASE64) from None


# --- ciphertexts -----------------------------------------------------------------------


def ciphertext_decode(text: str, *, max_bytes: int) -> bytes:
    """Base64 text to bytes, refusing oversize input before decoding it."""
    if len(text) > (max_bytes * 4) // 3 + 4:
        raise BlobRejectedError(
            "ciphertext_too_large", Msg.CIPHERTEXT_TOO_LARGE.format(limit=max_bytes)
        )
    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BlobRejectedError("invalid_base64", Msg.INVALID_BASE64) from None
    if len(blob) > max_bytes:
        raise BlobRejectedError(
            "ciphertext_too_large", Msg.CIPHERTEXT_TOO_LARGE.format(limit=max_bytes)
        )
    return blob


def _invalid(reason: str) -> BlobRejectedError:
    return BlobRejectedError("invalid_ciphertext", Msg.INVALID_CIPHERTEXT.format(reason=reason))


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


def ciphertext_load(
    blob: bytes, *, key_format: str, poly_modulus_degree: int, vector_size: int | None
) -> ts.CKKSVector:
    """Load one uploaded ciphertext with the cached keyless context of its parameter set.

    ``vector_size`` is the size earlier values of the metric type packed (None for the first).
    Raises ``BlobRejectedError`` for anything that is not exactly one fresh CKKS ciphertext at
    the epoch's parameters and scale.
    """
    if key_format != KeyFormat.TENSEAL:
        raise _invalid("unknown format")
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
    return vector


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

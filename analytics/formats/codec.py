"""Which format an upload or a key epoch uses, and the calls the rest of the app makes.

Two formats are first-class: TenSEAL's protobuf serialization (Python clients, ``tenseal``)
and raw SEAL objects (node-seal and native clients, ``seal``). The public key's format is
detected from its bytes; every ciphertext of its key epoch must use the same one.
"""

from dataclasses import dataclass

from analytics.formats.base import CiphertextFormat, EncryptedVector, PublicContextInfo
from analytics.formats.errors import BlobRejectedError, invalid_ciphertext
from analytics.formats.seal import SEAL
from analytics.formats.tenseal import TENSEAL
from analytics.messages import AnalyticsMessages as Msg
from reflective.lib.b64 import b64decode_strict

# Detection order: SEAL objects start with SEAL's magic; anything else is read as TenSEAL.
FORMATS: tuple[CiphertextFormat, ...] = (SEAL, TENSEAL)
_BY_NAME: dict[str, CiphertextFormat] = {str(f.key_format): f for f in FORMATS}


def format_detect(blob: bytes) -> CiphertextFormat:
    """The format an upload is serialized in, from its first bytes."""
    return next(f for f in FORMATS if f.recognizes(blob))


@dataclass(frozen=True)
class Codec:
    """How a key epoch's ciphertexts are serialized: its format, parameter set and version."""

    key_format: str
    poly_modulus_degree: int
    seal_version: str = ""

    @property
    def wire_format(self) -> CiphertextFormat:
        return _BY_NAME[self.key_format]

    def vector_from(self, blob: bytes) -> EncryptedVector:
        """A stored ciphertext of this epoch (validated when stored), ready to add."""
        return self.wire_format.stored_vector(
            blob, poly_modulus_degree=self.poly_modulus_degree, seal_version=self.seal_version
        )


def public_context_inspect(key_bytes: bytes, *, max_bytes: int) -> PublicContextInfo:
    """Validate an uploaded public context; returns its format and parameter set.

    Order matters: the size cap runs on raw bytes before any library call, and each format
    refuses a secret key before parsing it, so a secret key is never parsed or kept.
    """
    if len(key_bytes) > max_bytes:
        raise BlobRejectedError(
            "public_key_too_large", Msg.PUBLIC_KEY_TOO_LARGE.format(limit=max_bytes)
        )
    return format_detect(key_bytes).public_context_inspect(key_bytes)


def ciphertext_load(blob: bytes, *, codec: Codec, vector_size: int | None) -> EncryptedVector:
    """Load one uploaded ciphertext with the cached keyless context of its parameter set.

    ``vector_size`` is the size earlier values of the metric type packed (None for the first).
    Raises ``BlobRejectedError`` for anything that is not exactly one fresh CKKS ciphertext at
    the epoch's parameters and scale, in the epoch's format.
    """
    uploaded = format_detect(blob).key_format
    if uploaded != codec.key_format:
        expected = codec.key_format
        raise invalid_ciphertext(Msg.FORMAT_MISMATCH.format(got=uploaded, expected=expected))
    return codec.wire_format.ciphertext_load(
        blob,
        poly_modulus_degree=codec.poly_modulus_degree,
        seal_version=codec.seal_version,
        vector_size=vector_size,
    )


def _encoded_max(max_bytes: int) -> int:
    return (max_bytes * 4) // 3 + 4


def public_key_decode(text: str, *, max_bytes: int) -> bytes:
    """Base64 text of a public context to bytes; oversize input is refused undecoded."""
    if len(text) > _encoded_max(max_bytes):
        raise BlobRejectedError(
            "public_key_too_large", Msg.PUBLIC_KEY_TOO_LARGE.format(limit=max_bytes)
        )
    try:
        return b64decode_strict(text)
    except ValueError:
        raise BlobRejectedError("invalid_public_key", Msg.INVALID_PUBLIC_KEY_BASE64) from None


def ciphertext_decode(text: str, *, max_bytes: int) -> bytes:
    """Base64 text to bytes, refusing oversize input before decoding it."""
    if len(text) > _encoded_max(max_bytes):
        raise BlobRejectedError(
            "ciphertext_too_large", Msg.CIPHERTEXT_TOO_LARGE.format(limit=max_bytes)
        )
    try:
        blob = b64decode_strict(text)
    except ValueError:
        raise BlobRejectedError("invalid_base64", Msg.INVALID_BASE64) from None
    if len(blob) > max_bytes:
        raise BlobRejectedError(
            "ciphertext_too_large", Msg.CIPHERTEXT_TOO_LARGE.format(limit=max_bytes)
        )
    return blob

"""The client's cryptography: AES-256-GCM for text, HMAC for tag digests, CKKS for metrics.

Everything secret stays in this process. The server receives only AES-GCM ciphertexts,
HMAC digests, CKKS ciphertexts and a CKKS context serialized without its secret key,
Galois keys or relinearization keys (sums and plaintext scaling need none of them).
"""

import hashlib
import hmac
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import tenseal as ts
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AES_KEY_BYTES = 32
HMAC_KEY_BYTES = 32
GCM_IV_BYTES = 12
GCM_TAG_BYTES = 16

# The server's published CKKS policy (GET /api/encryption/context): modulus chain and scale
# for each allowed ring degree, all at 128-bit security.
CKKS_PARAMETERS: dict[int, tuple[list[int], int]] = {
    4096: ([40, 20, 40], 20),
    8192: ([60, 40, 40, 60], 40),
    16384: ([60, 40, 40, 40, 40, 60], 40),
}
DEFAULT_POLY_MODULUS_DEGREE = 8192


class DecryptionError(Exception):
    """A ciphertext did not authenticate: wrong key, wrong entry, or tampered bytes."""


@dataclass(frozen=True)
class Sealed:
    """One AES-GCM message: ciphertext, 12-byte nonce and 16-byte authentication tag."""

    ciphertext: bytes
    iv: bytes
    tag: bytes

    @property
    def ciphertext_with_tag(self) -> bytes:
        return self.ciphertext + self.tag

    @classmethod
    def from_ciphertext_with_tag(cls, data: bytes, iv: bytes) -> "Sealed":
        return cls(ciphertext=data[:-GCM_TAG_BYTES], iv=iv, tag=data[-GCM_TAG_BYTES:])


def aes_seal(key: bytes, plaintext: bytes, *, context: bytes) -> Sealed:
    """Encrypt with a fresh random nonce, binding ``context`` (e.g. the entry id) as AAD.

    The associated data stops a server from swapping one entry's ciphertext into another
    entry: decryption under the wrong id fails instead of showing the wrong text.
    """
    iv = os.urandom(GCM_IV_BYTES)
    combined = AESGCM(key).encrypt(iv, plaintext, context)
    return Sealed(ciphertext=combined[:-GCM_TAG_BYTES], iv=iv, tag=combined[-GCM_TAG_BYTES:])


def aes_open(key: bytes, sealed: Sealed, *, context: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed.iv, sealed.ciphertext + sealed.tag, context)
    except (InvalidTag, ValueError) as error:
        raise DecryptionError("ciphertext failed authentication") from error


def normalize_tag_name(name: str) -> str:
    """Names that a person would call the same tag get the same digest."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())


def tag_digest(hmac_key: bytes, name: str) -> bytes:
    """A keyed digest of the normalized name: the server can de-duplicate, not guess."""
    return hmac.new(hmac_key, normalize_tag_name(name).encode(), hashlib.sha256).digest()


class CkksKeys:
    """A CKKS key pair held by the client; only the public part ever leaves it."""

    def __init__(self, secret_context: bytes) -> None:
        self._secret_context = bytes(secret_context)
        self._context = ts.context_from(secret_context)
        if not self._context.is_private():
            raise ValueError("a CKKS secret context is needed, got a public one")
        degree = self._context.seal_context().data.key_context_data().parms().poly_modulus_degree()
        self.poly_modulus_degree = int(degree)
        self._context.global_scale = 2 ** CKKS_PARAMETERS[self.poly_modulus_degree][1]

    @classmethod
    def generate(cls, poly_modulus_degree: int = DEFAULT_POLY_MODULUS_DEGREE) -> "CkksKeys":
        coeff_mod_bit_sizes, _scale_bits = CKKS_PARAMETERS[poly_modulus_degree]
        context = ts.context(
            ts.SCHEME_TYPE.CKKS, poly_modulus_degree, coeff_mod_bit_sizes=coeff_mod_bit_sizes
        )
        context.global_scale = 2 ** CKKS_PARAMETERS[poly_modulus_degree][1]
        return cls(_serialize_secret(context))

    def secret_context(self) -> bytes:
        """Everything needed to encrypt and decrypt, as the key file holds it: keep it there."""
        return self._secret_context

    @cached_property
    def public_context(self) -> bytes:
        """What the server gets: parameters and public key, no secret/Galois/relin keys.

        It is the key file's secret context without its private part, byte for byte, so
        every client sharing the key file (the TypeScript one too) names the same key id.
        """
        return without_private_part(self._secret_context)

    @cached_property
    def key_id(self) -> str:
        """The server's name for this key epoch: sha256 of the exact uploaded bytes."""
        return hashlib.sha256(self.public_context).hexdigest()

    def encrypt(self, values: Sequence[float]) -> bytes:
        return bytes(ts.ckks_vector(self._context, list(values)).serialize())

    def decrypt(self, ciphertext: bytes) -> list[float]:
        try:
            vector = ts.ckks_vector_from(self._context, ciphertext)
            return [float(value) for value in vector.decrypt()]
        except (ValueError, RuntimeError, TypeError) as error:
            raise DecryptionError("not a CKKS ciphertext for this key") from error


def _serialize_secret(context: ts.Context) -> bytes:
    return bytes(
        context.serialize(
            save_public_key=True,
            save_secret_key=True,
            save_galois_keys=False,
            save_relin_keys=False,
        )
    )


# TenSEALContextProto field 3 is the private context (the secret key).
_PRIVATE_CONTEXT_FIELD = 3


def without_private_part(secret_context: bytes) -> bytes:
    """The serialized TenSEAL context minus its private field, other bytes untouched."""
    kept = bytearray()
    offset = 0
    while offset < len(secret_context):
        start = offset
        key, offset = _varint(secret_context, offset)
        wire_type = key & 7
        if wire_type == 0:
            _, offset = _varint(secret_context, offset)
        elif wire_type == 1:
            offset += 8
        elif wire_type == 2:
            length, offset = _varint(secret_context, offset)
            offset += length
        else:
            raise ValueError("not a TenSEAL context")
        if offset > len(secret_context):
            raise ValueError("a truncated TenSEAL context")
        if key >> 3 != _PRIVATE_CONTEXT_FIELD:
            kept += secret_context[start:offset]
    return bytes(kept)


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if offset >= len(data) or shift > 63:
            raise ValueError("a malformed varint in a TenSEAL context")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, offset

"""The one interface every serialization format of keys and ciphertexts implements.

Everything a client uploads is untrusted input for a C++ library that can crash the worker
on crafted blobs, so a format checks every property it can on the raw bytes first, and
checks the objects the library returns again. The format is detected from the bytes of the
public key, recorded on the key epoch, and every ciphertext of the epoch, including the
server's sums, uses it.
"""

from dataclasses import dataclass
from typing import Any, Protocol, Self

from django.db import models


class KeyFormat(models.TextChoices):
    TENSEAL = "tenseal", "TenSEAL context"
    SEAL = "seal", "SEAL PublicKey"


class EncryptedVector(Protocol):
    """What sums need of a loaded ciphertext, whichever library holds it."""

    def __add__(self, other: Self) -> Self: ...
    def __neg__(self) -> Self: ...
    def __mul__(self, factor: float) -> Self: ...
    def size(self) -> int: ...
    def serialize(self) -> Any: ...


@dataclass(frozen=True)
class PublicContextInfo:
    format: str
    poly_modulus_degree: int
    seal_version: str = ""


class CiphertextFormat(Protocol):
    """One serialization of public keys and ciphertexts that clients may upload.

    Every method raises ``errors.BlobRejectedError`` for bytes it refuses.
    """

    key_format: KeyFormat

    def recognizes(self, blob: bytes) -> bool:
        """Whether ``blob`` is serialized in this format (from its first bytes only)."""
        ...

    def public_context_inspect(self, key_bytes: bytes) -> PublicContextInfo:
        """Validate an uploaded public key; a secret key is refused before it is parsed."""
        ...

    def ciphertext_load(
        self, blob: bytes, *, poly_modulus_degree: int, seal_version: str, vector_size: int | None
    ) -> EncryptedVector:
        """Load one uploaded ciphertext: exactly one fresh CKKS ciphertext of the epoch.

        ``vector_size`` is the size earlier values of the series packed (None for the first).
        """
        ...

    def stored_vector(
        self, blob: bytes, *, poly_modulus_degree: int, seal_version: str
    ) -> EncryptedVector:
        """A stored metric or rollup (validated when it was stored), ready to add."""
        ...

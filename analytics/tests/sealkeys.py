"""A raw SEAL client for the tests, through TenSEAL's bundled SEAL bindings (tenseal.sealapi).

It plays a node-seal or native client: CKKS keys made with SEAL's KeyGenerator, values
encrypted with the PublicKey, objects saved with ``save()``. ``wire`` re-serializes a saved
object the way another SEAL release and compression mode would write it (node-seal 5 is
SEAL 4.1), so the tests cover the server's version and compression handling with bytes
made independently of the server's own code.
"""

import base64
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tenseal.sealapi as sealapi
import zstandard

from analytics.formats import ckks

HEADER = struct.Struct("<HBBBBHQ")
CIPHERTEXT_MEMBERS = 73
PLAINTEXT_MEMBERS = 48


def saved(item: Any) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "object")
        item.save(path)
        return Path(path).read_bytes()


def loaded(kind: type[Any], blob: bytes, context: Any) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "object")
        Path(path).write_bytes(blob)
        item = kind()
        item.load(context, path)
        return item


def members_of(blob: bytes) -> bytes:
    compression = blob[5]
    body = blob[HEADER.size :]
    if compression == 1:
        return zlib.decompress(body)
    if compression == 2:
        return zstandard.ZstdDecompressor().decompress(body)
    return body


def wire(
    blob: bytes, *, minor: int, compression: int, nested_at: int = CIPHERTEXT_MEMBERS
) -> bytes:
    """``blob`` as SEAL 4.``minor`` saves it with ``compression`` (0 none, 1 zlib, 2 zstd)."""
    body = bytearray(members_of(blob))
    body[nested_at + 4] = minor
    if compression == 1:
        body = bytearray(zlib.compress(bytes(body)))
    elif compression == 2:
        body = bytearray(zstandard.ZstdCompressor().compress(bytes(body)))
    header = HEADER.pack(0xA15E, 16, 4, minor, compression, 0, HEADER.size + len(body))
    return header + bytes(body)


@dataclass
class SealClient:
    """A client's SEAL keys; uploads are written as SEAL 4.``minor`` with ``compression``."""

    poly_modulus_degree: int
    minor: int
    compression: int
    context: Any
    secret_key: Any
    public_key: Any

    @property
    def params(self) -> ckks.ParameterSet:
        return ckks.parameter_set(self.poly_modulus_degree)

    @property
    def public_bytes(self) -> bytes:
        return wire(saved(self.public_key), minor=self.minor, compression=self.compression)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_bytes).decode("ascii")

    @property
    def secret_bytes(self) -> bytes:
        key = saved(self.secret_key)
        return wire(key, minor=self.minor, compression=0, nested_at=PLAINTEXT_MEMBERS)

    def ciphertext(self, values: list[float], scale: float | None = None) -> Any:
        plain = sealapi.Plaintext()
        encoder = sealapi.CKKSEncoder(self.context)
        encoder.encode(values, self.params.scale if scale is None else scale, plain)
        ciphertext = sealapi.Ciphertext()
        sealapi.Encryptor(self.context, self.public_key).encrypt(plain, ciphertext)
        return ciphertext

    def encrypt(self, values: list[float], scale: float | None = None) -> bytes:
        blob = saved(self.ciphertext(values, scale))
        return wire(blob, minor=self.minor, compression=self.compression)

    def encrypt_b64(self, values: list[float]) -> str:
        return base64.b64encode(self.encrypt(values)).decode("ascii")

    def decrypt(self, blob: bytes | str, slots: int = 1) -> list[float]:
        raw = base64.b64decode(blob) if isinstance(blob, str) else blob
        local = wire(raw, minor=sealapi.Serialization.SEALHeader().version_minor, compression=0)
        ciphertext = loaded(sealapi.Ciphertext, local, self.context)
        plain = sealapi.Plaintext()
        sealapi.Decryptor(self.context, self.secret_key).decrypt(ciphertext, plain)
        return list(sealapi.CKKSEncoder(self.context).decode_double(plain))[:slots]


def seal_context(poly_modulus_degree: int, coeff_mod_bit_sizes: list[int] | None = None) -> Any:
    parameters = sealapi.EncryptionParameters(sealapi.SCHEME_TYPE.CKKS)
    parameters.set_poly_modulus_degree(poly_modulus_degree)
    bits = coeff_mod_bit_sizes or ckks.PARAMETER_SETS[poly_modulus_degree]
    parameters.set_coeff_modulus(sealapi.CoeffModulus.Create(poly_modulus_degree, bits))
    return sealapi.SEALContext(parameters, True, sealapi.SEC_LEVEL_TYPE.TC128)


def make_seal_client(
    poly_modulus_degree: int = ckks.DEFAULT_POLY_MODULUS_DEGREE,
    *,
    minor: int = 1,
    compression: int = 1,
    coeff_mod_bit_sizes: list[int] | None = None,
) -> SealClient:
    context = seal_context(poly_modulus_degree, coeff_mod_bit_sizes)
    generator = sealapi.KeyGenerator(context)
    public_key = sealapi.PublicKey()
    generator.create_public_key(public_key)
    return SealClient(
        poly_modulus_degree, minor, compression, context, generator.secret_key(), public_key
    )

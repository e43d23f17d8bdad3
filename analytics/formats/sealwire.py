"""SEAL's serialization on the wire: headers, bounded decompression and version stamps.

Everything here works on bytes only, before SEAL parses anything. A serialized SEAL object is
a 16-byte header (magic, header size, version, compression mode, total size) and the object's
members, compressed as a whole. A Ciphertext or PublicKey holds 73 bytes of metadata and then
its polynomial data as a nested, never compressed, SEAL object with a header of its own; a
SecretKey (a Plaintext) holds 48 bytes of metadata before that nested object.

SEAL loads only objects stamped with its own exact minor version, so a client's 4.1 objects
are restamped to the server's SEAL version before loading and the server's answers are
restamped back to the client's. The member layout is the same across SEAL 4.x.
"""

import io
import struct
import zlib
from dataclasses import dataclass

import tenseal.sealapi as sealapi
import zstandard

SEAL_HEADER = struct.Struct("<HBBBBHQ")
SEAL_MAGIC = 0xA15E
SEAL_MAGIC_BYTES = struct.pack("<H", SEAL_MAGIC)
SEAL_VERSION_MAJOR = 4
COMPRESSION_NONE, COMPRESSION_ZLIB, COMPRESSION_ZSTD = 0, 1, 2
SEAL_COMPRESSION_MODES = frozenset({COMPRESSION_NONE, COMPRESSION_ZLIB, COMPRESSION_ZSTD})
CIPHERTEXT_MEMBERS = 73  # parms_id, NTT flag, size, degree, modulus count, scale, correction
PLAINTEXT_MEMBERS = 48  # parms_id, coefficient count, scale
NESTED_ARRAY_PREFIX = SEAL_HEADER.size + 8  # the nested object's header and element count
ZSTD_MAX_WINDOW = 1 << 24
ZSTD_LEVEL = 3
READ_CHUNK = 1 << 16


class WireRejectedError(ValueError):
    """The bytes are not a well-formed SEAL object of the expected kind and size."""


@dataclass(frozen=True)
class SealHeader:
    major: int
    minor: int
    compression: int
    size: int

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"


def _local_version() -> tuple[int, int]:
    header = sealapi.Serialization.SEALHeader()
    return int(header.version_major), int(header.version_minor)


LOCAL_VERSION = _local_version()


def header_read(blob: bytes) -> SealHeader | None:
    """The header of a SEAL-serialized object whose size field is exactly the blob length."""
    if len(blob) < SEAL_HEADER.size:
        return None
    magic, header_size, major, minor, compression, reserved, size = SEAL_HEADER.unpack_from(blob)
    if (
        magic != SEAL_MAGIC
        or header_size != SEAL_HEADER.size
        or major != SEAL_VERSION_MAJOR
        or compression not in SEAL_COMPRESSION_MODES
        or reserved != 0
        or size != len(blob)
    ):
        return None
    return SealHeader(major, minor, compression, size)


def is_seal_object(blob: bytes) -> bool:
    """Whether the bytes start like a SEAL object (a TenSEAL protobuf never does)."""
    return blob[:2] == SEAL_MAGIC_BYTES


def members(blob: bytes, *, limit: int) -> tuple[SealHeader, bytes]:
    """The header and the uncompressed members; refuses anything inflating past ``limit``."""
    header = header_read(blob)
    if header is None:
        raise WireRejectedError("the SEAL header is invalid")
    body = blob[SEAL_HEADER.size :]
    if header.compression == COMPRESSION_ZLIB:
        body = _zlib_inflate(body, limit)
    elif header.compression == COMPRESSION_ZSTD:
        body = _zstd_inflate(body, limit)
    if len(body) > limit:
        raise WireRejectedError("it is larger than the policy's parameters allow")
    return header, body


def _zlib_inflate(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise WireRejectedError("its zlib stream is corrupt") from None
    if len(out) > limit:
        raise WireRejectedError("it is larger than the policy's parameters allow")
    if not inflater.eof or inflater.unused_data:
        raise WireRejectedError("its zlib stream is corrupt")
    return out


def _zstd_inflate(body: bytes, limit: int) -> bytes:
    """Inflate at most ``limit`` + 1 bytes: a small frame may claim gigabytes."""
    decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    out = bytearray()
    try:
        with decompressor.stream_reader(io.BytesIO(body)) as reader:
            while len(out) <= limit:
                chunk = reader.read(min(READ_CHUNK, limit + 1 - len(out)))
                if not chunk:
                    break
                out += chunk
    except zstandard.ZstdError:
        raise WireRejectedError("its zstd stream is corrupt") from None
    if len(out) > limit:
        raise WireRejectedError("it is larger than the policy's parameters allow")
    return bytes(out)


def nested_array_ok(body: bytes, offset: int) -> bool:
    """An uncompressed nested SEAL object starts at ``offset`` and ends with the members."""
    nested = header_read(body[offset:])
    return nested is not None and nested.compression == COMPRESSION_NONE


def restamped(body: bytes, offset: int, version: tuple[int, int], *, compress: bool) -> bytes:
    """A whole SEAL object from members, with both headers stamped ``version``.

    ``compress`` packs the members with zstd, SEAL's default and what node-seal saves.
    """
    stamped = bytearray(body)
    stamped[offset + 3], stamped[offset + 4] = version
    payload = _zstd_deflate(bytes(stamped)) if compress else stamped
    mode = COMPRESSION_ZSTD if compress else COMPRESSION_NONE
    size = SEAL_HEADER.size + len(payload)
    header = SEAL_HEADER.pack(SEAL_MAGIC, SEAL_HEADER.size, *version, mode, 0, size)
    return header + bytes(payload)


def _zstd_deflate(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data)


def version_parse(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def ciphertext_members_max(poly_modulus_degree: int, moduli: int) -> int:
    """Uncompressed member size of a two-polynomial ciphertext over ``moduli`` primes."""
    return CIPHERTEXT_MEMBERS + NESTED_ARRAY_PREFIX + 2 * poly_modulus_degree * moduli * 8
